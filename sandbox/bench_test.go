//go:build linux

package sandbox

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// BenchmarkStart measures the cost of starting /bin/true.
//
//	go test ./sandbox -run '^$' -bench BenchmarkStart -benchtime 200x -count 5
//
// bubblewrap is the bar: the full sandbox must not be slower than
// `bwrap --unshare-all --die-with-parent --proc /proc --dev /dev --ro-bind / / --bind WS WS`
// (apt-get install -y bubblewrap; the sub-benchmark is skipped without it).
func BenchmarkStart(b *testing.B) {
	b.Run("bare-exec", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("/bin/true").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sandbox", func(b *testing.B) {
		requireSandbox(b)
		ws := newWorkspace(b)
		ctx := context.Background()
		spec := Spec{Workspace: ws, Argv: []string{"/bin/true"}}
		for b.Loop() {
			res, err := Run(ctx, Conf{}, spec)
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("res %+v err %v", res, err)
			}
		}
	})
	b.Run("bwrap", func(b *testing.B) {
		bwrap, err := exec.LookPath("bwrap")
		if err != nil {
			b.Skip("bubblewrap not installed")
		}
		ws := newWorkspace(b)
		if err := exec.Command(bwrap, "--unshare-all", "--ro-bind", "/", "/", "/bin/true").Run(); err != nil {
			b.Skipf("bwrap cannot run here: %v", err)
		}
		args := []string{"--unshare-all", "--die-with-parent", "--proc", "/proc", "--dev", "/dev",
			"--ro-bind", "/", "/", "--bind", ws, ws, "/bin/true"}
		for b.Loop() {
			cmd := exec.Command(bwrap, args...)
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
