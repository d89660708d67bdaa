package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// secretEnv is set in the test process; no command may ever see it.
const (
	secretEnv   = "AIRLOCK_TEST_SERVER_SECRET"
	secretValue = "s3cr3t-must-not-leak-7f1c"
)

// testUID owns workspaces when the tests run as root, standing in for the
// unprivileged workspace owner a root server maps the sandbox to.
const testUID = 100123

// benchDirs are temporary directories benchmarks created (TestMain
// removes them).
var benchDirs []string

func TestMain(m *testing.M) {
	MaybeRunLauncher()
	poolHelper()
	os.Setenv(secretEnv, secretValue)
	code := m.Run()
	for _, d := range benchDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// requireSandbox skips when the host cannot run the full sandbox (the CI
// runners and the dev VM can; a locked-down container may not).
func requireSandbox(t testing.TB) {
	t.Helper()
	s := Probe()
	if !s.UserNS || !s.PIDNS || !s.MountNS || !s.NetNS || s.LandlockABI == 0 {
		t.Skipf("host lacks user/pid/mount/net namespaces or Landlock: %+v", s)
	}
}

// newWorkspace returns an empty workspace the sandbox identity can write.
func newWorkspace(t testing.TB) string {
	t.Helper()
	ws := t.TempDir()
	// t.TempDir's parent is 0700; the workspace owner must be able to reach
	// its workspace, as it would in production.
	if err := os.Chmod(filepath.Dir(ws), 0o755); err != nil {
		t.Fatal(err)
	}
	chownForSandbox(t, ws)
	return ws
}

func chownForSandbox(t testing.TB, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	if err := os.Lchown(path, testUID, testUID); err != nil {
		t.Fatal(err)
	}
}

// writeWS creates a file in the workspace owned by the workspace owner.
func writeWS(t testing.TB, ws, rel, content string) string {
	t.Helper()
	p := filepath.Join(ws, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	for d := filepath.Dir(p); d != ws && len(d) > len(ws); d = filepath.Dir(d) {
		chownForSandbox(t, d)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	chownForSandbox(t, p)
	return p
}

// outsideDir is a directory outside the workspace that DAC alone would let
// the sandbox write (mode 0777, files 0666), so only the sandbox layers
// stand between a command and it. It lives under /var/tmp when possible so
// that the private /tmp does not hide it and Landlock is what is tested.
func outsideDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "airlock-sandbox-outside-")
	if err != nil {
		dir = t.TempDir()
	} else {
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sentinel writes a world-writable file outside the workspace and returns
// its path and a check that it is unchanged.
func sentinel(t testing.TB, dir string) (string, func()) {
	t.Helper()
	p := filepath.Join(dir, "sentinel.txt")
	const want = "untouched\n"
	if err := os.WriteFile(p, []byte(want), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o666); err != nil {
		t.Fatal(err)
	}
	return p, func() {
		t.Helper()
		got, err := os.ReadFile(p)
		if err != nil || string(got) != want {
			t.Fatalf("outside file changed: %q, %v", got, err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("outside dir gained entries: %v", entries)
		}
	}
}

// run is Run with a test deadline and fatal on start errors.
func run(t testing.TB, c Conf, s Spec) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := Run(ctx, c, s)
	if err != nil {
		t.Fatalf("Run(%q): %v", s.Argv, err)
	}
	return res
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }
