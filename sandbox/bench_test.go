//go:build linux

package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkStart measures the cost of starting /bin/true, every way, each
// as its own sub-benchmark (go test runs each one -count times in a row;
// BenchmarkStartInterleaved gives ratios from interleaved launches):
//
//		go test ./sandbox -run '^$' -bench BenchmarkStart -benchtime 200x -count 5
//
//	  - bare-exec: os/exec, no isolation at all.
//	  - sandbox-cold: Run, which starts a launcher for the run.
//	  - sandbox-warm: a Pool run that finds a launcher waiting (the pool is
//	    refilled outside the timed region): the latency of an agent whose
//	    commands are seconds apart.
//	  - sandbox-burst: Pool runs back to back, never waiting for the refill:
//	    warm/op says how many found a launcher ready.
//	  - bwrap: the bar; the sandbox must not start slower than
//	    `bwrap --unshare-all --die-with-parent --proc /proc --dev /dev --ro-bind / / --bind WS WS`
//	    (apt-get install -y bubblewrap; skipped without it).
//	  - airlock-cold, airlock-warm: the same two runs with the launcher being
//	    the real airlock binary (built into a temporary directory first),
//	    not the small test binary.
//
// Each reports its median (p50-ms) and 90th percentile (p90-ms) besides
// the mean (ns/op).
func BenchmarkStart(b *testing.B) {
	b.Run("bare-exec", func(b *testing.B) {
		var lat latencies
		for i := 0; i < b.N; i++ {
			lat.time(func() {
				if err := exec.Command("/bin/true").Run(); err != nil {
					b.Fatal(err)
				}
			})
		}
		lat.report(b)
	})
	b.Run("sandbox-cold", func(b *testing.B) { benchCold(b, launcherPath) })
	b.Run("sandbox-warm", func(b *testing.B) { benchWarm(b, launcherPath) })
	b.Run("sandbox-burst", func(b *testing.B) {
		requireSandbox(b)
		ws := newWorkspace(b)
		p := NewPool(Conf{})
		defer p.Close()
		waitWarm(b, p, ws)
		var lat latencies
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			lat.time(func() { runTrue(b, p, ws) })
		}
		b.StopTimer()
		lat.report(b)
		b.ReportMetric(float64(p.stats().warm)/float64(b.N), "warm/op")
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
		var lat latencies
		for i := 0; i < b.N; i++ {
			lat.time(func() {
				cmd := exec.Command(bwrap, args...)
				cmd.Stderr = os.Stderr
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
			})
		}
		lat.report(b)
	})
	b.Run("airlock-cold", func(b *testing.B) { benchCold(b, airlockBinary(b)) })
	b.Run("airlock-warm", func(b *testing.B) { benchWarm(b, airlockBinary(b)) })
}

// BenchmarkStartInterleaved launches /bin/true every way once per
// iteration, in turn, so that a noisy neighbour affects all of them alike,
// and reports each one's median (<way>-p50-ms) and its ratio to
// bubblewrap's median (<way>/bwrap). The warm pools are refilled outside
// the timed launches, and before each launch, so that a replacement being
// spawned never competes with the launch being timed (a warm run in
// production defers its replacement the same way; see refillDelay).
//
//	go test ./sandbox -run '^$' -bench BenchmarkStartInterleaved -benchtime 200x -count 5
func BenchmarkStartInterleaved(b *testing.B) {
	requireSandbox(b)
	bwrap, err := exec.LookPath("bwrap")
	if err != nil {
		b.Skip("bubblewrap not installed")
	}
	exe := airlockBinary(b)
	ws := newWorkspace(b)
	bwrapArgs := []string{"--unshare-all", "--die-with-parent", "--proc", "/proc", "--dev", "/dev",
		"--ro-bind", "/", "/", "--bind", ws, ws, "/bin/true"}
	pools := map[string]*Pool{
		"sandbox-cold": newPool(Conf{}, launcherPath, 0),
		"sandbox-warm": newPool(Conf{}, launcherPath, defaultPerKey),
		"airlock-cold": newPool(Conf{}, exe, 0),
		"airlock-warm": newPool(Conf{}, exe, defaultPerKey),
	}
	for _, p := range pools {
		defer p.Close()
	}
	ways := []struct {
		name string
		run  func()
	}{
		{"bare", func() {
			if err := exec.Command("/bin/true").Run(); err != nil {
				b.Fatal(err)
			}
		}},
		{"bwrap", func() {
			if out, err := exec.Command(bwrap, bwrapArgs...).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}},
	}
	for _, name := range []string{"sandbox-cold", "sandbox-warm", "airlock-cold", "airlock-warm"} {
		ways = append(ways, struct {
			name string
			run  func()
		}{name, func() { runTrue(b, pools[name], ws) }})
	}
	lat := make([]latencies, len(ways))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, w := range ways {
			b.StopTimer()
			waitWarm(b, pools["sandbox-warm"], ws)
			waitWarm(b, pools["airlock-warm"], ws)
			b.StartTimer()
			lat[j].time(w.run)
		}
	}
	b.StopTimer()
	for _, name := range []string{"sandbox-warm", "airlock-warm"} {
		if st := pools[name].stats(); st.warm != int64(b.N) || st.cold != 0 {
			b.Fatalf("%s: not every run was warm: %+v", name, st)
		}
	}
	bw := lat[1].median()
	for j, w := range ways {
		m := lat[j].median()
		b.ReportMetric(float64(m)/float64(time.Millisecond), w.name+"-p50-ms")
		if w.name != "bwrap" {
			b.ReportMetric(float64(m)/float64(bw), w.name+"/bwrap")
		}
	}
}

// benchCold times runs that each start their launcher from exe.
func benchCold(b *testing.B, exe string) {
	requireSandbox(b)
	ws := newWorkspace(b)
	p := newPool(Conf{}, exe, 0)
	defer p.Close()
	var lat latencies
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lat.time(func() { runTrue(b, p, ws) })
	}
	b.StopTimer()
	if st := p.stats(); st.cold != int64(b.N) {
		b.Fatalf("not every run was cold: %+v", st)
	}
	lat.report(b)
}

// benchWarm times runs that each find a launcher from exe waiting.
func benchWarm(b *testing.B, exe string) {
	requireSandbox(b)
	ws := newWorkspace(b)
	p := newPool(Conf{}, exe, defaultPerKey)
	defer p.Close()
	var lat latencies
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		waitWarm(b, p, ws)
		b.StartTimer()
		lat.time(func() { runTrue(b, p, ws) })
	}
	b.StopTimer()
	if st := p.stats(); st.warm != int64(b.N) || st.cold != 0 {
		b.Fatalf("not every run was warm: %+v", st)
	}
	lat.report(b)
}

func waitWarm(b *testing.B, p *Pool, ws string) {
	b.Helper()
	if err := p.Prewarm(ws, false); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := p.waitReady(ctx, ws, false); err != nil {
		b.Fatal(err)
	}
}

func runTrue(b *testing.B, p *Pool, ws string) {
	res, err := p.Run(context.Background(), Spec{Workspace: ws, Argv: []string{"/bin/true"}})
	if err != nil || res.ExitCode != 0 {
		b.Fatalf("res %+v err %v", res, err)
	}
}

// latencies are the wall times of a benchmark's iterations.
type latencies []time.Duration

func (l *latencies) time(f func()) {
	start := time.Now()
	f()
	*l = append(*l, time.Since(start))
}

func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*q)]
}

func (l latencies) median() time.Duration { return l.quantile(0.5) }

func (l latencies) report(b *testing.B) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(l.median()), "p50-ms")
	b.ReportMetric(ms(l.quantile(0.9)), "p90-ms")
}

// airlockBinary builds ./cmd/airlock once per test process into a
// directory the sandbox identity can read (removed by TestMain).
func airlockBinary(b *testing.B) string {
	b.Helper()
	bin, err := buildAirlock()
	if err != nil {
		b.Skipf("cannot build the airlock binary: %v", err)
	}
	return bin
}

var (
	buildAirlock = sync.OnceValues(func() (string, error) {
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		dir, err := os.MkdirTemp("", "airlock-bench-")
		if err != nil {
			return "", err
		}
		benchDirs = append(benchDirs, dir)
		if err := os.Chmod(dir, 0o755); err != nil {
			return "", err
		}
		bin := filepath.Join(dir, "airlock")
		out, err := exec.Command(goBin, "build", "-o", bin, "github.com/airlock-dev/airlock/cmd/airlock").CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("%w: %s", err, out)
		}
		return bin, nil
	})
)
