//go:build linux

package sandbox

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEscapeFilesystem: every case tries to change a world-writable file
// (and its world-writable directory) outside the workspace; only the
// sandbox layers stand in the way. The command's own exit status is not
// the assertion: the outside file is.
func TestEscapeFilesystem(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		tests := []struct {
			name   string
			script string // $S is the sentinel file, $D its directory, $R the relative path to $S
		}{
			{name: "absolute path", script: `echo pwned > "$S"; echo new > "$D/new"; rm -f "$S"`},
			{name: "dotdot", script: `echo pwned > "$R"; echo new > "$(dirname "$R")/new"`},
			{name: "symlink created by the command", script: `ln -s "$D" out; echo pwned > out/sentinel.txt; echo new > out/new; ln -s "$S" f; echo pwned > f`},
			{name: "hard link to outside file", script: `ln "$S" hl; echo pwned >> hl; echo pwned > hl`},
			{name: "proc self root", script: `echo pwned > "/proc/self/root$S"; echo new > "/proc/self/root$D/new"`},
			{name: "proc server root", script: `echo pwned > "/proc/$SERVER/root$S"; echo new > "/proc/$SERVER/root$D/new"`},
			{name: "proc 1 cwd and root", script: `echo pwned > "/proc/1/root$S"; cd /proc/1/cwd/.. && echo new > "$D/new"`},
			{name: "rename into outside", script: `echo pwned > x; mv x "$S"; mv x "$D/new"`},
			{name: "mount over", script: `mount -t tmpfs none "$D"; mount --bind . "$D"; echo new > "$D/new"`},
			{name: "nested user namespace", script: `unshare -Urm sh -c 'echo pwned > "$S"'; echo new > "$D/new"`},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ws := newWorkspace(t)
				dir := outsideDir(t)
				s, unchanged := sentinel(t, dir)
				rel, err := filepath.Rel(ws, s)
				if err != nil {
					t.Fatal(err)
				}
				res := p.run(t, Conf{}, Spec{Workspace: ws, Argv: sh(tc.script), Env: map[string]string{
					"S": s, "D": dir, "R": rel, "SERVER": strconv.Itoa(os.Getpid()),
				}})
				unchanged()
				if bytes.Contains(res.Stdout, []byte("untouched")) {
					t.Fatalf("outside content leaked: %q", res.Stdout)
				}
			})
		}
	})
}

// TestEscapeReadOutside: /etc is readable by design, but a file next to
// the workspace or anywhere else on the host is not.
func TestEscapeReadOutside(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		ws := newWorkspace(t)
		dir := outsideDir(t)
		const secret = "db_password=hunter2-outside"
		conf := filepath.Join(dir, "app.conf")
		if err := os.WriteFile(conf, []byte(secret), 0o644); err != nil {
			t.Fatal(err)
		}
		// A sibling of the workspace in the same parent temp dir.
		sibling := filepath.Join(filepath.Dir(ws), "sibling.conf")
		if err := os.WriteFile(sibling, []byte(secret), 0o644); err != nil {
			t.Fatal(err)
		}
		res := p.run(t, Conf{}, Spec{Workspace: ws, Argv: sh(`cat "$C"; cat "$SIB"; cat ../sibling.conf; ls "$(dirname "$C")"; cat /etc/hostname >/dev/null && echo etc-readable`),
			Env: map[string]string{"C": conf, "SIB": sibling}})
		if bytes.Contains(res.Stdout, []byte(secret)) || bytes.Contains(res.Stdout, []byte("app.conf")) {
			t.Fatalf("outside file readable: %q", res.Stdout)
		}
		if !bytes.Contains(res.Stdout, []byte("etc-readable")) {
			t.Fatalf("/etc should be readable by design: stdout %q stderr %q", res.Stdout, res.Stderr)
		}
	})
}

// TestEscapeGitHooks: hooks run on the host later, outside any sandbox.
func TestEscapeGitHooks(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		t.Run("existing hooks stay read-only", func(t *testing.T) {
			ws := newWorkspace(t)
			hook := writeWS(t, ws, ".git/hooks/pre-commit", "#!/bin/sh\nexit 0\n")
			res := p.run(t, Conf{}, Spec{Workspace: ws, Argv: sh(`echo evil > .git/hooks/pre-commit; echo evil > .git/hooks/post-checkout; rm -rf .git/hooks; mv .git/hooks .git/h2; echo wrote-elsewhere > ok.txt`)})
			if got, _ := os.ReadFile(hook); string(got) != "#!/bin/sh\nexit 0\n" {
				t.Fatalf("hook changed: %q", got)
			}
			if _, err := os.Stat(filepath.Join(ws, ".git/hooks/post-checkout")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("new hook created: %v", err)
			}
			if _, err := os.Stat(filepath.Join(ws, "ok.txt")); err != nil {
				t.Fatalf("rest of the workspace should stay writable: %v (stderr %q)", err, res.Stderr)
			}
		})
		t.Run("missing hooks dir cannot be created", func(t *testing.T) {
			ws := newWorkspace(t)
			writeWS(t, ws, ".git/HEAD", "ref: refs/heads/main\n")
			p.run(t, Conf{}, Spec{Workspace: ws, Argv: sh(`mkdir -p .git/hooks; echo evil > .git/hooks/post-checkout`)})
			if _, err := os.Stat(filepath.Join(ws, ".git/hooks/post-checkout")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("hook created: %v", err)
			}
		})
		t.Run("symlinked hooks refuse to start", func(t *testing.T) {
			ws := newWorkspace(t)
			writeWS(t, ws, ".git/HEAD", "x")
			if err := os.Symlink("/tmp", filepath.Join(ws, ".git/hooks")); err != nil {
				t.Fatal(err)
			}
			if _, err := p.start(t.Context(), t, Conf{}, Spec{Workspace: ws, Argv: []string{"true"}}); err == nil {
				t.Fatal("a hooks symlink that cannot be protected was accepted")
			}
		})
	})
}

// TestEscapeNetwork: without Network the host's loopback is unreachable;
// with it, the same connection succeeds (proving the check can fail).
func TestEscapeNetwork(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		if _, err := exec.LookPath("bash"); err != nil {
			t.Skip("bash (for /dev/tcp) not installed")
		}
		tests := []struct {
			name    string
			network bool
			want    bool
		}{
			{name: "no network", network: false, want: false},
			{name: "network granted", network: true, want: true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ln, err := net.Listen("tcp4", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				remotes := make(chan string, 16)
				go func() {
					for {
						c, err := ln.Accept()
						if err != nil {
							return
						}
						remotes <- c.RemoteAddr().String()
						c.Close()
					}
				}()
				port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
				res := p.run(t, Conf{}, Spec{Workspace: newWorkspace(t), Network: tc.network,
					Argv: []string{"bash", "-c", "echo hi > /dev/tcp/127.0.0.1/" + port}})
				// The backlog is FIFO: once our own marker connection is
				// accepted, any connection the command made has been too.
				marker, err := net.Dial("tcp4", ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer marker.Close()
				got := false
				for r := range remotes {
					if r == marker.LocalAddr().String() {
						break
					}
					got = true
				}
				if got != tc.want || (res.ExitCode == 0) != tc.want {
					t.Fatalf("connected=%v exit=%d stderr=%q, want connected=%v", got, res.ExitCode, res.Stderr, tc.want)
				}
			})
		}
		t.Run("dns", func(t *testing.T) {
			res := p.run(t, Conf{}, Spec{Workspace: newWorkspace(t), Argv: sh("getent hosts example.com || getent ahosts example.com")})
			if res.ExitCode == 0 {
				t.Fatalf("DNS resolved without network: %q", res.Stdout)
			}
		})
	})
}

// TestEscapeForkBomb: bounded by pids.max / RLIMIT_NPROC, killed at the
// limit, and the host can still start processes afterwards.
func TestEscapeForkBomb(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		start := time.Now()
		res := p.run(t, Conf{MaxProcs: 64}, Spec{Workspace: newWorkspace(t), Timeout: 2 * time.Second,
			Argv: sh(`bomb() { bomb | bomb & }; bomb; sleep 30`)})
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("fork bomb took %v to contain", d)
		}
		// Either the limit kills it, or the process cap stops the shell itself
		// from forking ("Cannot fork") and it exits early; the PID namespace
		// takes every remaining child with it either way.
		if !res.TimedOut && (res.ExitCode == 0 || !strings.Contains(string(res.Stderr), "fork")) {
			t.Fatalf("result %+v, want killed at the limit or refused forks", res)
		}
		if err := exec.Command("true").Run(); err != nil {
			t.Fatalf("host cannot fork after the bomb: %v", err)
		}
		after := p.run(t, Conf{}, Spec{Workspace: newWorkspace(t), Argv: []string{"echo", "ok"}})
		if string(after.Stdout) != "ok\n" {
			t.Fatalf("sandbox unusable after the bomb: %+v", after)
		}
	})
}

// TestEscapeMemoryBomb: memory.max kills it, or RLIMIT_DATA makes the
// allocation fail; either way it ends long before the time limit.
func TestEscapeMemoryBomb(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		res := p.run(t, Conf{MemoryBytes: 64 << 20}, Spec{Workspace: newWorkspace(t), Timeout: 20 * time.Second,
			Argv: sh(`tail /dev/zero; echo "tail exited $?" >&2; exit 3`)})
		if res.TimedOut {
			t.Fatalf("memory bomb ran to the time limit: %+v", res)
		}
		if res.ExitCode == 0 {
			t.Fatalf("memory bomb succeeded: %+v", res)
		}
	})
}

// TestEscapeDaemon: a setsid'd child that outlives its parent is killed
// with the namespace at the limit, and Run does not wait for it although
// it holds stdout open.
func TestEscapeDaemon(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		const marker = "987.654321"
		if !positiveControl(t, marker) {
			t.Fatal("process scan cannot see a live process; the check below would prove nothing")
		}
		ws := newWorkspace(t)
		start := time.Now()
		res := p.run(t, Conf{}, Spec{Workspace: ws, Timeout: 500 * time.Millisecond,
			Argv: sh(`setsid sh -c 'echo $$ > daemon.pid; exec sleep ` + marker + `' & sleep 30`)})
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Run took %v", d)
		}
		if !res.TimedOut {
			t.Fatalf("result %+v, want timed out", res)
		}
		if _, err := os.Stat(filepath.Join(ws, "daemon.pid")); err != nil {
			t.Fatalf("daemon never started, test proves nothing: %v", err)
		}
		if pids := findProcesses(marker); len(pids) > 0 {
			t.Fatalf("daemon survived: pids %v", pids)
		}

		t.Run("parent exits at once, grandchild holds stdout", func(t *testing.T) {
			start := time.Now()
			res := p.run(t, Conf{}, Spec{Workspace: ws, Argv: sh(`(setsid sleep ` + marker + ` &); echo done`)})
			if d := time.Since(start); d > 5*time.Second || string(res.Stdout) != "done\n" {
				t.Fatalf("took %v, stdout %q", d, res.Stdout)
			}
			if pids := findProcesses(marker); len(pids) > 0 {
				t.Fatalf("grandchild survived: pids %v", pids)
			}
		})
	})
}

// positiveControl starts a host process with the marker and checks the
// scan finds it.
func positiveControl(t *testing.T, marker string) bool {
	cmd := exec.Command("sleep", marker)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := len(findProcesses(marker)) > 0
	cmd.Process.Kill()
	cmd.Wait()
	return found
}

// findProcesses scans the host's /proc for a "sleep <marker>" command line.
func findProcesses(marker string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), "sleep\x00"+marker) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestEscapeOutputFlood: 100 MB is counted, 1 MiB kept, quickly.
func TestEscapeOutputFlood(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		const total = 100_000_000
		start := time.Now()
		res := p.run(t, Conf{}, Spec{Workspace: newWorkspace(t), OutputLimit: 1 << 20, Timeout: 30 * time.Second,
			Argv: []string{"head", "-c", strconv.Itoa(total), "/dev/zero"}})
		if res.StdoutBytes != total || len(res.Stdout) != 1<<20 || !res.Truncated {
			t.Fatalf("bytes %d kept %d truncated %v", res.StdoutBytes, len(res.Stdout), res.Truncated)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("flood took %v", d)
		}
	})
}

// TestEscapeServerEnvironment: nothing of the server's environment is
// visible, through env or any /proc entry.
func TestEscapeServerEnvironment(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		pid := strconv.Itoa(os.Getpid())
		res := p.run(t, Conf{}, Spec{Workspace: newWorkspace(t),
			Argv: sh(`env; cat /proc/1/environ; cat /proc/self/environ; cat /proc/` + pid + `/environ; for f in /proc/[0-9]*/environ; do cat "$f"; done`)})
		for _, out := range [][]byte{res.Stdout, res.Stderr} {
			if bytes.Contains(out, []byte(secretValue)) || bytes.Contains(out, []byte(secretEnv)) {
				t.Fatalf("server environment leaked: %q", out)
			}
		}
		if !bytes.Contains(res.Stdout, []byte("LANG=C.UTF-8")) {
			t.Fatalf("env not printed, test proves nothing: %q", res.Stdout)
		}
	})
}

// TestEscapeSignalServer: the server is not addressable, let alone
// killable, from inside.
func TestEscapeSignalServer(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		pid := strconv.Itoa(os.Getpid())
		res := p.run(t, Conf{}, Spec{Workspace: newWorkspace(t), Argv: sh(`kill -9 ` + pid + ` || exit 7; exit 0`)})
		if res.ExitCode != 7 {
			t.Fatalf("kill of the server did not fail: %+v stderr %q", res, res.Stderr)
		}
		if err := exec.Command("true").Run(); err != nil { // still alive and well
			t.Fatal(err)
		}
	})
}

// TestEscapeInheritedDescriptors: a descriptor the server inherited
// without close-on-exec (from a supervisor, a shell, socket activation)
// never reaches the command.
func TestEscapeInheritedDescriptors(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		dir := outsideDir(t)
		s, unchanged := sentinel(t, dir)
		fd, err := syscall.Open(s, syscall.O_WRONLY|syscall.O_APPEND, 0) // no O_CLOEXEC, on purpose
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(fd)
		n := strconv.Itoa(fd)
		res := p.run(t, Conf{}, Spec{Workspace: newWorkspace(t),
			Argv: sh(`echo pwned >&` + n + `; echo pwned >/proc/self/fd/` + n + `; ls /proc/self/fd`)})
		unchanged()
		if got := strings.Fields(string(res.Stdout)); !slices.Equal(got, []string{"0", "1", "2", "3"}) {
			t.Fatalf("descriptors in the command: %v (stderr %q), want 0-2 and ls's own", got, res.Stderr)
		}
	})
}
