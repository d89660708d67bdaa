//go:build linux

package sandbox

import (
	"context"
	"testing"
	"time"
)

// startPath is how a command reaches its launcher: cold (started for the run, as
// Run does) or warm (taken from a Pool that spawned it beforehand). The two
// must be indistinguishable to the command and to the host, so the run and
// escape suites go through both.
type startPath struct {
	name string
	warm bool
}

var startPaths = []startPath{{name: "cold"}, {name: "warm", warm: true}}

// eachPath runs f once per path, as subtests named after it.
func eachPath(t *testing.T, f func(t *testing.T, p startPath)) {
	t.Helper()
	for _, p := range startPaths {
		t.Run(p.name, func(t *testing.T) { f(t, p) })
	}
}

// start runs s on this path. Warm: a pool for c is prewarmed for the
// spec's workspace and network, the run must take that ready launcher (not
// fall back to a cold start), and the pool is closed afterwards. ctx bounds
// the run only, as it would for a caller.
func (p startPath) start(ctx context.Context, t testing.TB, c Conf, s Spec) (*Result, error) {
	t.Helper()
	if !p.warm {
		return Run(ctx, c, s)
	}
	pool := NewPool(c)
	defer pool.Close()
	if perr := pool.Prewarm(s.Workspace, s.Network); perr != nil {
		// A spec or conf no run may use: the pool must refuse it as well.
		res, err := pool.Run(ctx, s)
		if err == nil {
			t.Fatalf("prewarm refused (%v) but the run started", perr)
		}
		return res, err
	}
	wctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := pool.waitReady(wctx, s.Workspace, s.Network); err != nil {
		t.Fatalf("waiting for a warm launcher: %v", err)
	}
	res, err := pool.Run(ctx, s)
	if st := pool.stats(); st.warm != 1 || st.cold != 0 {
		t.Fatalf("the run did not take the warm launcher: %+v (err %v)", st, err)
	}
	return res, err
}

// run is start with a test deadline and fatal on start errors.
func (p startPath) run(t testing.TB, c Conf, s Spec) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := p.start(ctx, t, c, s)
	if err != nil {
		t.Fatalf("%s Run(%q): %v", p.name, s.Argv, err)
	}
	return res
}
