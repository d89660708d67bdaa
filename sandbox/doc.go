// Package sandbox runs one allowed command inside a layered Linux sandbox and
// reports exactly which layers were applied.
//
// It owns the command executor only: the launcher that the airlock binary
// re-executes itself as (see MaybeRunLauncher), the Pool that keeps
// launchers ready ahead of need, the namespaces, mounts,
// Landlock ruleset, seccomp filter, capability drop, resource limits, cgroup,
// wall-clock limit, environment scrubbing and output capture around one
// command. File operations live in sandbox/files.
//
// It must never: decide whether a command is allowed (policy does that), run a
// command as host root, let the server's environment reach the command, wait
// forever on a command or on a pipe a command's descendant holds open, or
// silently drop a layer the configuration requires.
//
// # Identity
//
// The command runs as uid 0 of a fresh user namespace that maps exactly one
// uid (and one gid) to an unprivileged host identity, and it holds no
// capabilities: the bounding, inheritable, ambient, permitted and effective
// sets are emptied and the securebits locked before exec, and no_new_privs is
// set. "root" inside is therefore a name only. The host identity is the
// server's own uid when the server is unprivileged, and the workspace owner's
// uid/gid when the server runs as root, so that files the command writes stay
// owned by, and writable for, the workspace owner. A root-owned workspace is
// refused: mapping the sandbox to host uid 0 would exempt it from RLIMIT_NPROC
// and let it read root-only files in the readable host paths.
//
// Mapping a single uid keeps the launcher able to mount (it is uid 0 of the
// namespace with full capabilities there until it drops them) without a
// second, nested user namespace, which a multi-threaded Go process cannot
// create with unshare(2).
//
// # Warm launchers
//
// Run starts a launcher for its command (the cold path). A Pool starts
// them ahead: cloned into their namespaces, initialised, and blocked
// reading their spec. What the clone fixes is the pool key (identity,
// namespace set, cgroup); everything else travels in the spec at use, as on
// the cold path, so a waiting launcher holds nothing of any command. It is
// used once, refuses a workspace that is not the directory the server
// resolved (its mount namespace predates later mounts; the run is then
// retried cold), dies with the server, and every launcher is reaped by
// Close. docs/ARCHITECTURE.md ("Command sandbox") gives the reasoning.
//
// The launcher diverts in this package's init, which Go runs only after
// every package imported here: the imports stay few and early-initialised
// (TestLauncherImports), or every cold start in the airlock binary waits.
//
// # Landlock without psx
//
// go-landlock v0.11.2 imports libcap/psx unconditionally; with cgo, psx wraps
// pthread_create for the whole binary and its all-threads enforcement is what
// hangs inside a new PID namespace. The launcher only needs the calling
// thread restricted (it execs right after), so landlock_linux.go issues the
// three Landlock system calls directly on the locked OS thread.
package sandbox
