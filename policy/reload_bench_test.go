package policy

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// BenchmarkReloadRatio reports how much a decision costs while the policy
// is being reloaded over and over, relative to the same decision on an
// engine that is never reloaded (target: close to 1; deciders never lock).
// The two engines decide alternately in one loop, so that load on a shared
// machine hits both alike:
//
//	go test -run '^$' -bench ReloadRatio ./policy/
func BenchmarkReloadRatio(b *testing.B) {
	ctx := context.Background()
	still, err := New(ctx, Conf{Dir: copyExamples(b), Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	dir := copyExamples(b)
	moving, err := New(ctx, Conf{Dir: dir, Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	in := fileInput("write_file", "prod", "src/cart/cart.go")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	reloads := 0
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// Two revisions in turn, each a real change of sources.
			extra := "package extra\n\nx := 1\n"
			if i%2 == 1 {
				extra = "package extra\n\nx := 2\n"
			}
			// Not writeFiles: b.Fatal must not run off the benchmark goroutine.
			if err := os.WriteFile(filepath.Join(dir, "extra.rego"), []byte(extra), 0o644); err != nil {
				b.Error(err)
				return
			}
			if err := moving.Reload(ctx); err != nil {
				b.Error(err)
				return
			}
			reloads++
		}
	})
	var ts, tm time.Duration
	revs := map[string]bool{}
	for b.Loop() {
		start := time.Now()
		ds := still.Decide(ctx, in)
		mid := time.Now()
		dm := moving.Decide(ctx, in)
		ts += mid.Sub(start)
		tm += time.Since(mid)
		if ds.Effect != Allow || dm.Effect != Allow {
			b.Fatalf("benchmark input not allowed: %+v %+v", ds, dm)
		}
		revs[dm.Revision] = true
	}
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(tm)/float64(ts), "ratio")
	b.ReportMetric(float64(ts.Nanoseconds())/float64(b.N), "still-ns/op")
	b.ReportMetric(float64(tm.Nanoseconds())/float64(b.N), "reloading-ns/op")
	b.ReportMetric(float64(reloads), "reloads")
	b.ReportMetric(float64(len(revs)), "revisions-seen")
}
