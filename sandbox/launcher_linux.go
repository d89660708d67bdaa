package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// launcherArg is os.Args[1] of a launcher process. Run is the only thing
// that starts the binary this way; anyone else doing so gets no spec on
// fd 3 and an immediate exit.
const launcherArg = "__airlock-sandbox-launcher"

// Fixed descriptors in the launcher (os/exec ExtraFiles start at 3).
const (
	specFD   = 3
	statusFD = 4
)

// init runs the launcher before the rest of the binary initialises. Go
// initialises packages in dependency-then-lexical order, so this package's
// init runs before heavy ones (OPA, gRPC, protobuf registries) that a
// launcher never needs: every run pays the launcher's start-up.
func init() {
	if IsLauncher() {
		runLauncherAndExit()
	}
}

// IsLauncher reports whether this process was started by Run as a
// launcher.
func IsLauncher() bool { return len(os.Args) >= 2 && os.Args[1] == launcherArg }

// MaybeRunLauncher belongs first in main (and in TestMain of packages that
// call Run). The package's init already turns a launcher process into the
// command, so this only documents and guarantees the hook at the call
// site: in a launcher it never returns, everywhere else it returns at once.
func MaybeRunLauncher() {
	if IsLauncher() {
		runLauncherAndExit()
	}
}

func runLauncherAndExit() {
	// Landlock, seccomp, securebits and capabilities are per thread: every
	// step up to exec stays on this one.
	runtime.LockOSThread()
	code := 0
	if err := runLauncher(); errors.Is(err, errNoSpec) {
		// The pool was closed, evicted this launcher, or the server is
		// gone: nothing was asked of it.
		os.Exit(0)
	} else if err != nil {
		code = 1
		if errors.Is(err, errNotFound) {
			code = 127
		} else if errors.Is(err, errNotExecutable) {
			code = 126
		}
		fmt.Fprintf(os.Stderr, "airlock sandbox: %v\n", err)
	}
	os.Exit(code)
}

var (
	errNotFound      = errors.New("command not found")
	errNotExecutable = errors.New("command not executable")
	// errNoSpec: the spec pipe reached EOF before any spec.
	errNoSpec = errors.New("no spec")
	// errStaleWorkspace: the workspace path leads elsewhere in this
	// launcher's mount namespace than in the server's.
	errStaleWorkspace = errors.New("workspace is not the directory the server resolved")
)

// runLauncher returns only on failure; errors before the status message
// are start failures, reported on the status pipe.
//
// A launcher may wait a long time for its spec (the pool keeps it warm).
// While it waits it holds only its five descriptors: stdin, stdout and
// stderr pipes with nothing in them yet, the spec pipe and the status pipe.
// Everything it learns about the command arrives in the spec, after which
// the spec and status pipes close on exec.
func runLauncher() error {
	// Nothing may inherit these past exec.
	unix.CloseOnExec(specFD)
	unix.CloseOnExec(statusFD)
	// Nor anything the server itself inherited without close-on-exec (a
	// supervisor's pipe, a socket-activation descriptor): Go's fork passes
	// every such descriptor on. Marked here, before the Go runtime's own
	// descriptors could be told apart from them, and closed only by exec.
	inheritedErr := cloexecAbove(statusFD)
	status := os.NewFile(statusFD, "status")
	if inheritedErr != nil {
		return report(status, fmt.Errorf("inherited descriptors: %w", inheritedErr))
	}
	// Not dumpable while it waits and sets up: no process outside the
	// sandbox running as the same host uid may ptrace it or read its /proc
	// entries (the command's exec makes it dumpable again, as any exec).
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return report(status, fmt.Errorf("set non-dumpable: %w", err))
	}
	warmCodec()
	if _, err := status.Write([]byte{readyByte}); err != nil {
		return errNoSpec // the server is gone
	}
	var ls launchSpec
	specFile := os.NewFile(specFD, "spec")
	err := json.NewDecoder(io.LimitReader(specFile, 16<<20)).Decode(&ls)
	specFile.Close()
	if errors.Is(err, io.EOF) {
		return errNoSpec
	}
	if err != nil {
		return report(status, fmt.Errorf("read spec: %w", err))
	}
	if !ls.Stdin {
		if err := stdinDevNull(); err != nil {
			return report(status, err)
		}
	}
	layers, rules, err := applyLayers(&ls)
	if err != nil {
		return report(status, err)
	}
	for _, r := range rules {
		unix.Close(r.fd)
	}
	if miss := missingLayers(layers, ls.Required); len(miss) > 0 {
		return report(status, fmt.Errorf("required layers unavailable: %s", strings.Join(miss, ", ")))
	}
	path, err := lookPath(ls.Argv[0], ls.Env)
	if err == nil {
		// Resolution happens under the final restrictions, so a binary the
		// command may not execute is reported the same way as a missing one.
		err = json.NewEncoder(status).Encode(launchStatus{Layers: layers})
		if err == nil {
			err = unix.Exec(path, ls.Argv, ls.Env)
			err = fmt.Errorf("exec %s: %w", path, err)
			if errors.Is(err, unix.ENOENT) {
				err = fmt.Errorf("%w: %w", errNotFound, err)
			}
			if errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOEXEC) || errors.Is(err, unix.EPERM) {
				err = fmt.Errorf("%w: %w", errNotExecutable, err)
			}
		}
		return err
	}
	// The sandbox is in place; a bad command is the command's result.
	if encErr := json.NewEncoder(status).Encode(launchStatus{Layers: layers}); encErr != nil {
		return encErr
	}
	return err
}

// warmCodec builds encoding/json's per-type state for the spec and the
// status before the launcher says it is ready, so that a pooled launcher
// does not pay for it after the run has begun.
func warmCodec() {
	var ls launchSpec
	_ = json.Unmarshal([]byte(`{"workspace":"/w","argv":["a"],"env":["A=b"],"ns":{"user":true},"readable_paths":["/usr"],"read_only_paths":["x"],"rlimits":[{"resource":1,"value":1}],"required":["x"]}`), &ls)
	_, _ = json.Marshal(launchStatus{Layers: []string{"x"}})
}

func report(status *os.File, err error) error {
	_ = json.NewEncoder(status).Encode(launchStatus{Error: err.Error(), Stale: errors.Is(err, errStaleWorkspace)})
	return err
}

// cloexecAbove sets close-on-exec on every descriptor above fd.
func cloexecAbove(fd int) error {
	err := unix.CloseRange(uint(fd+1), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	// Kernels before 5.11: one by one.
	entries, rerr := os.ReadDir("/proc/self/fd")
	if rerr != nil {
		return fmt.Errorf("close_range: %w; /proc/self/fd: %w", err, rerr)
	}
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > fd {
			unix.CloseOnExec(n) // the directory's own descriptor is gone by now: EBADF, harmless
		}
	}
	return nil
}

// stdinDevNull replaces the stdin pipe, which the server closed unwritten,
// with /dev/null, as a run without stdin has always had.
func stdinDevNull() error {
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("stdin: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Dup3(fd, 0, 0); err != nil {
		return fmt.Errorf("stdin: %w", err)
	}
	return nil
}

// openWorkspace opens the workspace and checks it is the directory the
// server resolved (device and inode). A pooled launcher's mount namespace
// was copied when it was spawned: a filesystem mounted on the host since
// then may be absent from it (or, with shared propagation, present), so the
// path alone proves nothing. Absence counts as stale too: a fresh launcher
// decides whether the workspace is really gone.
func openWorkspace(ls *launchSpec) (int, error) {
	fd, err := openDir(ls.Workspace)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return -1, fmt.Errorf("%w: open %s: %w", errStaleWorkspace, ls.Workspace, err)
	}
	if err != nil {
		return -1, fmt.Errorf("open workspace: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("stat workspace: %w", err)
	}
	if st.Dev != ls.WorkspaceDev || st.Ino != ls.WorkspaceIno {
		unix.Close(fd)
		return -1, fmt.Errorf("%w: %s is device %d inode %d here, %d/%d for the server",
			errStaleWorkspace, ls.Workspace, st.Dev, st.Ino, ls.WorkspaceDev, ls.WorkspaceIno)
	}
	return fd, nil
}

// applyLayers applies everything in order: mounts need capabilities, so
// they come before the drop; Landlock and seccomp need no_new_privs.
func applyLayers(ls *launchSpec) ([]string, []llRule, error) {
	var layers []string
	add := func(l string) { layers = append(layers, l) }
	if ls.NS.User {
		add(LayerUserNS)
	}
	if ls.NS.PID {
		add(LayerPIDNS)
	}
	if ls.NS.Mount {
		add(LayerMountNS)
	}
	if ls.NS.Net {
		add(LayerNetNS)
	}
	if ls.NS.IPC {
		add(LayerIPCNS)
	}
	if ls.NS.UTS {
		add(LayerUTSNS)
	}
	var mr mountResult
	if ls.NS.Mount {
		var err error
		if mr, err = setupMounts(ls); err != nil {
			return nil, nil, err
		}
		if mr.proc {
			add(LayerProc)
		}
		if mr.privateTmp {
			add(LayerPrivateTmp)
		}
		if mr.readOnly {
			add(LayerReadOnly)
		}
	}
	if ls.NS.UTS {
		_ = unix.Sethostname([]byte("airlock-sandbox"))
	}
	if ls.NS.Net {
		if err := bringUpLoopback(); err != nil {
			return nil, nil, fmt.Errorf("loopback: %w", err)
		}
	}
	rules, err := landlockRules(ls, mr)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range ls.Rlimits {
		v := unix.Rlimit{Cur: l.Value, Max: l.Value}
		if err := unix.Setrlimit(l.Resource, &v); err != nil {
			return nil, rules, fmt.Errorf("setrlimit %d: %w", l.Resource, err)
		}
	}
	if len(ls.Rlimits) > 0 {
		add(LayerRlimits)
	}
	if err := chdirBeneath(ls, ls.Cwd); err != nil {
		return nil, rules, err
	}
	if dropCapabilities() == nil {
		add(LayerCapsDropped)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return nil, rules, fmt.Errorf("no_new_privs: %w", err)
	}
	add(LayerNoNewPrivs)
	if abi := landlockABI(); abi > 0 {
		if err := landlockRestrict(abi, ls.Network, rules); err != nil {
			return nil, rules, err
		}
		add(LayerLandlock + "-v" + strconv.Itoa(abi))
	}
	if ls.Seccomp {
		if f := seccompFilter(); f != nil {
			if err := installSeccomp(f); err != nil {
				return nil, rules, fmt.Errorf("seccomp: %w", err)
			}
			add(LayerSeccomp)
		}
	}
	return layers, rules, nil
}

// devFiles are the device nodes commands commonly write or read.
var devFiles = []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}

// landlockRules opens every path that gets access. Missing readable paths
// are skipped (not every distribution has /lib64).
func landlockRules(ls *launchSpec, mr mountResult) ([]llRule, error) {
	var rules []llRule
	addPath := func(p string, access uint64, must bool) error {
		fd, err := unix.Open(p, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			if must {
				return fmt.Errorf("landlock: open %s: %w", p, err)
			}
			return nil
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return fmt.Errorf("landlock: stat %s: %w", p, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			access &= llFileOnly
		}
		rules = append(rules, llRule{fd: fd, access: access})
		return nil
	}
	all := ^uint64(0) &^ unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	for _, p := range ls.ReadablePaths {
		if err := addPath(p, llRead, false); err != nil {
			return rules, err
		}
	}
	if mr.proc {
		if err := addPath("/proc", unix.LANDLOCK_ACCESS_FS_READ_FILE|unix.LANDLOCK_ACCESS_FS_READ_DIR, true); err != nil {
			return rules, err
		}
	}
	ws, err := openWorkspace(ls)
	if err != nil {
		return rules, fmt.Errorf("landlock: %w", err)
	}
	rules = append(rules, llRule{fd: ws, access: all})
	if mr.privateTmp {
		for _, p := range []string{"/tmp", "/dev/shm"} {
			if err := addPath(p, all, p == "/tmp"); err != nil {
				return rules, err
			}
		}
	}
	for _, p := range devFiles {
		if err := addPath(p, unix.LANDLOCK_ACCESS_FS_READ_FILE|unix.LANDLOCK_ACCESS_FS_WRITE_FILE, false); err != nil {
			return rules, err
		}
	}
	return rules, nil
}

// chdirBeneath enters cwd without letting "..", an absolute symlink or a
// magic link inside the workspace take it elsewhere.
func chdirBeneath(ls *launchSpec, cwd string) error {
	ws, err := openWorkspace(ls)
	if err != nil {
		return err
	}
	defer unix.Close(ws)
	fd, err := unix.Openat2(ws, cwd, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return fmt.Errorf("cwd %q: %w", cwd, err)
	}
	defer unix.Close(fd)
	if err := unix.Fchdir(fd); err != nil {
		return fmt.Errorf("cwd %q: %w", cwd, err)
	}
	return nil
}

// lookPath resolves name against the command's own PATH, not the
// launcher's (which is empty).
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	search := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			search = v
		}
	}
	for _, dir := range strings.Split(search, ":") {
		if dir == "" || !path.IsAbs(dir) {
			continue // a relative PATH entry would depend on cwd
		}
		p := path.Join(dir, name)
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s", errNotFound, name)
}
