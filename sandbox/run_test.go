//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunExitCodes(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		ws := newWorkspace(t)
		tests := []struct {
			name string
			argv []string
			code int
		}{
			{name: "success", argv: []string{"true"}, code: 0},
			{name: "failure", argv: []string{"false"}, code: 1},
			{name: "explicit code", argv: sh("exit 42"), code: 42},
			{name: "command not found", argv: []string{"airlock-no-such-command"}, code: 127},
			{name: "missing absolute path", argv: []string{"/nonexistent/bin"}, code: 127},
			{name: "not executable", argv: []string{"/etc/hostname"}, code: 126},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				res := p.run(t, Conf{}, Spec{Workspace: ws, Argv: tc.argv})
				if res.ExitCode != tc.code {
					t.Fatalf("exit code = %d, want %d (stderr %q)", res.ExitCode, tc.code, res.Stderr)
				}
			})
		}
	})
}

func TestRunSignalledCommand(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		// PID 1 of a namespace ignores signals from inside, so the victim is a
		// child whose status the shell reports as 128+9.
		res := p.run(t, Conf{}, Spec{Workspace: newWorkspace(t), Argv: sh(`sh -c 'kill -9 $$'; echo "status=$?"`)})
		if !strings.Contains(string(res.Stdout), "status=137") {
			t.Fatalf("stdout = %q", res.Stdout)
		}
	})
}

func TestRunStdinEnvCwd(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		ws := newWorkspace(t)
		writeWS(t, ws, "sub/dir/marker", "m")
		tests := []struct {
			name string
			spec Spec
			want string
		}{
			{name: "stdin", spec: Spec{Argv: []string{"cat"}, Stdin: []byte("hello stdin")}, want: "hello stdin"},
			{name: "reopen std streams", spec: Spec{Argv: sh("cat /dev/stdin > /dev/stdout; echo e > /dev/stderr"), Stdin: []byte("via-proc ")}, want: "via-proc "},
			{name: "no stdin reads EOF", spec: Spec{Argv: sh("cat; echo eof")}, want: "eof\n"},
			{name: "env passes", spec: Spec{Argv: sh(`printf %s "$FOO"`), Env: map[string]string{"FOO": "bar baz"}}, want: "bar baz"},
			{name: "base env", spec: Spec{Argv: sh(`printf '%s|%s|%s|%s' "$HOME" "$TMPDIR" "$LANG" "$PATH"`)},
				want: "/tmp|/tmp|C.UTF-8|" + safePath},
			{name: "cwd", spec: Spec{Argv: []string{"pwd"}, Cwd: "sub/dir"}, want: filepath.Join(ws, "sub/dir") + "\n"},
			{name: "default cwd", spec: Spec{Argv: []string{"pwd"}}, want: ws + "\n"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tc.spec.Workspace = ws
				res := p.run(t, Conf{}, tc.spec)
				if string(res.Stdout) != tc.want || res.ExitCode != 0 {
					t.Fatalf("stdout = %q (exit %d, stderr %q), want %q", res.Stdout, res.ExitCode, res.Stderr, tc.want)
				}
			})
		}
	})
}

func TestRunWritesWorkspaceAsOwner(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		ws := newWorkspace(t)
		res := p.run(t, Conf{}, Spec{Workspace: ws, Argv: sh("mkdir -p a/b && echo data > a/b/f && mv a/b/f a/g && echo tmp > /tmp/x && cat /tmp/x")})
		if res.ExitCode != 0 || string(res.Stdout) != "tmp\n" {
			t.Fatalf("exit %d stdout %q stderr %q", res.ExitCode, res.Stdout, res.Stderr)
		}
		fi, err := os.Stat(filepath.Join(ws, "a/g"))
		if err != nil {
			t.Fatal(err)
		}
		want := uint32(os.Geteuid())
		if want == 0 {
			want = testUID
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != want {
			t.Fatalf("file owner = %d, want %d (never host root)", uid, want)
		}
	})
}

func TestRunLayersReported(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		ws := newWorkspace(t)
		res := p.run(t, Conf{}, Spec{Workspace: ws, Argv: []string{"true"}})
		want := []string{LayerUserNS, LayerPIDNS, LayerMountNS, LayerNetNS, LayerIPCNS, LayerUTSNS, LayerProc,
			LayerPrivateTmp, LayerReadOnly, LayerRlimits, LayerCapsDropped, LayerNoNewPrivs, LayerEnvScrubbed, LayerTimeout}
		if Probe().Seccomp {
			want = append(want, LayerSeccomp)
		}
		for _, l := range append(want, LayerLandlock) {
			if !hasLayer(res.Layers, l) {
				t.Errorf("layer %q missing from %v", l, res.Layers)
			}
		}
		net := p.run(t, Conf{}, Spec{Workspace: ws, Argv: []string{"true"}, Network: true})
		if slices.Contains(net.Layers, LayerNetNS) {
			t.Fatalf("network run reports netns: %v", net.Layers)
		}
	})
}

func TestRunRequiredLayers(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		ws := newWorkspace(t)
		all := []string{LayerUserNS, LayerPIDNS, LayerMountNS, LayerNetNS, LayerLandlock, LayerNoNewPrivs, LayerRlimits}
		if _, err := p.start(context.Background(), t, Conf{Required: all}, Spec{Workspace: ws, Argv: []string{"true"}}); err != nil {
			t.Fatalf("available layers refused: %v", err)
		}
		if _, err := p.start(context.Background(), t, Conf{Required: []string{"chroot"}}, Spec{Workspace: ws, Argv: []string{"true"}}); err == nil {
			t.Fatal("unknown required layer accepted")
		}
		if !Probe().Cgroup {
			_, err := p.start(context.Background(), t, Conf{Required: []string{LayerCgroup}}, Spec{Workspace: ws, Argv: []string{"true"}})
			if err == nil || !strings.Contains(err.Error(), LayerCgroup) {
				t.Fatalf("missing cgroup not refused by name: %v", err)
			}
		}
	})
}

func TestRunSpecValidation(t *testing.T) {
	ws := newWorkspace(t)
	tests := []struct {
		name string
		spec Spec
	}{
		{name: "relative workspace", spec: Spec{Workspace: "ws", Argv: []string{"true"}}},
		{name: "root workspace", spec: Spec{Workspace: "/", Argv: []string{"true"}}},
		{name: "unclean workspace", spec: Spec{Workspace: ws + "/../x", Argv: []string{"true"}}},
		{name: "missing workspace", spec: Spec{Workspace: filepath.Join(ws, "nope"), Argv: []string{"true"}}},
		{name: "cwd escapes", spec: Spec{Workspace: ws, Cwd: "../..", Argv: []string{"true"}}},
		{name: "absolute cwd", spec: Spec{Workspace: ws, Cwd: "/etc", Argv: []string{"true"}}},
		{name: "empty argv", spec: Spec{Workspace: ws}},
		{name: "NUL in argv", spec: Spec{Workspace: ws, Argv: []string{"echo", "a\x00b"}}},
		{name: "bad env key", spec: Spec{Workspace: ws, Argv: []string{"true"}, Env: map[string]string{"A=B": "x"}}},
		{name: "timeout above max", spec: Spec{Workspace: ws, Argv: []string{"true"}, Timeout: time.Hour}},
		{name: "negative output limit", spec: Spec{Workspace: ws, Argv: []string{"true"}, OutputLimit: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if res, err := Run(context.Background(), Conf{}, tc.spec); err == nil {
				t.Fatalf("accepted, result %+v", res)
			}
		})
	}
}

func TestRunCwdSymlinkOutsideRefused(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		ws := newWorkspace(t)
		if err := os.Symlink("/etc", filepath.Join(ws, "etc-link")); err != nil {
			t.Fatal(err)
		}
		if res, err := p.start(context.Background(), t, Conf{}, Spec{Workspace: ws, Cwd: "etc-link", Argv: []string{"pwd"}}); err == nil {
			t.Fatalf("cwd through a symlink out of the workspace accepted: %q", res.Stdout)
		}
	})
}

func TestRunRootOwnedWorkspaceRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only a root server maps to the workspace owner")
	}
	_, err := Run(context.Background(), Conf{}, Spec{Workspace: t.TempDir(), Argv: []string{"true"}})
	if !errors.Is(err, ErrRootWorkspace) {
		t.Fatalf("err = %v, want ErrRootWorkspace", err)
	}
}

func TestRunTimeout(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		start := time.Now()
		res := p.run(t, Conf{}, Spec{Workspace: newWorkspace(t), Argv: []string{"sleep", "30"}, Timeout: 300 * time.Millisecond})
		if !res.TimedOut || res.Signal != "SIGKILL" || res.ExitCode != -1 {
			t.Fatalf("result %+v, want timed out by SIGKILL", res)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Run took %v after a 300ms limit", d)
		}
	})
}

func TestRunContextCancel(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		// The caller gives up once the command is running (its first output).
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		started := writerFunc(func(b []byte) (int, error) { cancel(); return len(b), nil })
		res, err := p.start(ctx, t, Conf{}, Spec{Workspace: newWorkspace(t), Argv: sh("echo started; exec sleep 30"), Stdout: started})
		if !errors.Is(err, context.Canceled) || res == nil || res.TimedOut || string(res.Stdout) != "started\n" {
			t.Fatalf("res %+v err %v, want the caller's cancellation reported as an error", res, err)
		}
	})
}

func TestRunOutputCapAndLiveWriters(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		var live bytes.Buffer
		res := p.run(t, Conf{}, Spec{Workspace: newWorkspace(t), Argv: sh("printf 0123456789abcdef; printf err >&2"),
			OutputLimit: 10, Stdout: &live})
		if string(res.Stdout) != "0123456789" || res.StdoutBytes != 16 || !res.Truncated {
			t.Fatalf("stdout %q bytes %d truncated %v", res.Stdout, res.StdoutBytes, res.Truncated)
		}
		if live.String() != "0123456789" {
			t.Fatalf("live writer got %q, want only the kept bytes", live.String())
		}
		if string(res.Stderr) != "err" || res.StderrBytes != 3 {
			t.Fatalf("stderr %q bytes %d", res.Stderr, res.StderrBytes)
		}
	})
}

// TestLauncherNoHangInPIDNamespace guards against the go-landlock/libpsx
// trap: a cgo binary enforcing Landlock on all threads inside a new PID
// namespace spun forever. The launcher enforces on its own thread only;
// every run here must finish well inside its deadline.
func TestLauncherNoHangInPIDNamespace(t *testing.T) {
	requireSandbox(t)
	t.Logf("test binary built with cgo: %v", cgoEnabled)
	ws := newWorkspace(t)
	for i := 0; i < 10; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		start := time.Now()
		res, err := Run(ctx, Conf{Required: []string{LayerPIDNS, LayerLandlock}}, Spec{Workspace: ws, Argv: []string{"true"}})
		cancel()
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("run %d: res %+v err %v", i, res, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("run %d took %v", i, d)
		}
	}
}

func TestRunLauncherRefusesMissingRequiredLayer(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		ws := newWorkspace(t)
		// seccomp is applied by the launcher; disabling it while requiring it
		// must stop the launcher before exec, naming the layer.
		_, err := p.start(context.Background(), t, Conf{DisableSeccomp: true, Required: []string{LayerSeccomp}},
			Spec{Workspace: ws, Argv: sh("echo ran > ran.txt")})
		if err == nil || !strings.Contains(err.Error(), LayerSeccomp) {
			t.Fatalf("err = %v, want a start error naming seccomp", err)
		}
		if _, statErr := os.Stat(filepath.Join(ws, "ran.txt")); !errors.Is(statErr, os.ErrNotExist) {
			t.Fatal("command ran although a required layer was missing")
		}
	})
}

func TestProbe(t *testing.T) {
	s := Probe()
	if s.LandlockABI != landlockABI() {
		t.Fatalf("LandlockABI = %d, kernel says %d", s.LandlockABI, landlockABI())
	}
	if s.Root != (os.Geteuid() == 0) {
		t.Fatalf("Root = %v", s.Root)
	}
	if (s.PIDNS || s.MountNS || s.NetNS) && !s.UserNS && !s.Root {
		t.Fatalf("namespaces without userns for an unprivileged process: %+v", s)
	}
	t.Logf("%+v", s)
}

func TestRunHoldsNoCapabilities(t *testing.T) {
	requireSandbox(t)
	eachPath(t, func(t *testing.T, p startPath) {
		res := p.run(t, Conf{}, Spec{Workspace: newWorkspace(t), Argv: sh(`grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status`)})
		lines := strings.Split(strings.TrimSpace(string(res.Stdout)), "\n")
		if len(lines) != 7 {
			t.Fatalf("status lines %q (stderr %q)", lines, res.Stderr)
		}
		for _, l := range lines {
			f := strings.Fields(l)
			switch f[0] {
			case "NoNewPrivs:":
				if f[1] != "1" {
					t.Errorf("%s", l)
				}
			case "Seccomp:":
				if Probe().Seccomp && f[1] != "2" {
					t.Errorf("%s", l)
				}
			default:
				if strings.Trim(f[1], "0") != "" {
					t.Errorf("capability set not empty: %s", l)
				}
			}
		}
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
