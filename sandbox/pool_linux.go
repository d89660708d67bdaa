package sandbox

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Pool sizes. A key is one identity and namespace set (in practice one per
// workspace owner, times network on or off), so a handful covers a server;
// one ready launcher per key serves an agent whose commands are seconds
// apart.
const (
	defaultPerKey  = 1
	defaultMaxKeys = 8
)

// Pool runs commands like Run, but on launchers it spawned ahead of need:
// a launcher already cloned into its namespaces and initialised, blocked
// reading its spec. A run then pays for the spec, the layers and the
// command's own exec, not for the clone and the launcher's start-up.
//
// What is fixed when a launcher is cloned is its key: the identity it runs
// as, its namespace set (network or not) and its cgroup. Everything else
// (mounts, Landlock paths, limits, environment, argv, cwd, stdin) travels
// in the spec when the launcher is used, exactly as on the cold path, so a
// warm launcher holds nothing of any command until it is handed one.
//
// A Run whose key has no launcher ready starts one for itself at once
// (never waiting for the pool). Either way the key is refilled in the
// background once the run ends (see refillDelay). A Pool is safe for
// concurrent use.
type Pool struct {
	conf    Conf
	confErr error
	exe     string
	perKey  int
	maxKeys int

	mu      sync.Mutex
	slots   map[spawnKey]*slot
	tick    uint64
	queue   []*slot
	closed  bool
	changed chan struct{} // closed and replaced on every change (waitReady)

	wake    chan struct{} // the spawner has work, or the pool closed
	stopped chan struct{} // closed once the spawner forks no more
	// inflight counts launchers forked by the spawner thread and not yet
	// reaped; the thread stays locked until it drops to zero.
	inflight sync.WaitGroup
	// bg counts reaps Close must wait for.
	bg sync.WaitGroup

	warm, cold, retried atomic.Int64
}

// slot holds one key's ready launchers.
type slot struct {
	key     spawnKey
	ready   []*launcher
	pending int    // spawns queued or in progress
	used    uint64 // p.tick at the last take or prewarm
}

// NewPool returns a pool running commands under c. The spawner starts
// now; no launcher is spawned until Prewarm or Run asks for one. An invalid
// c makes every Run fail, as Run would.
func NewPool(c Conf) *Pool { return newPool(c, launcherPath, defaultPerKey) }

// newPool is NewPool with the launcher binary and the launchers kept per
// key (0: every run is cold) chosen by the caller (benchmarks).
func newPool(c Conf, exe string, perKey int) *Pool {
	c.SetDefaults()
	c.Required = slices.Clone(c.Required)
	c.ReadOnlyPaths = slices.Clone(c.ReadOnlyPaths)
	c.ReadablePaths = slices.Clone(c.ReadablePaths)
	p := &Pool{
		conf: c, exe: exe, perKey: perKey, maxKeys: defaultMaxKeys,
		slots: map[spawnKey]*slot{}, changed: make(chan struct{}),
		wake: make(chan struct{}, 1), stopped: make(chan struct{}),
	}
	if err := c.Validate(); err != nil {
		p.confErr = fmt.Errorf("sandbox: conf: %w", err)
	}
	go p.spawner()
	return p
}

// Run runs s inside the sandbox, on a warm launcher when its key has one.
// Results and errors are those of Run. A warm launcher that turns out
// unusable without having run anything (its mount namespace predates the
// workspace's filesystem, or it died while waiting) is replaced by a cold
// start, once.
func (p *Pool) Run(ctx context.Context, s Spec) (*Result, error) {
	begin := time.Now()
	if p.confErr != nil {
		return nil, p.confErr
	}
	c := p.conf
	r, err := prepare(&c, &s)
	if err != nil {
		return nil, err
	}
	l := p.take(r.key)
	defer p.refillAfter(r.key)()
	if l != nil {
		p.warm.Add(1)
		res, err := r.runOn(ctx, l, begin)
		p.inflight.Done()
		if !errors.Is(err, errRetryCold) {
			return res, err
		}
		p.retried.Add(1)
	}
	p.cold.Add(1)
	return r.runCold(ctx, p.exe, begin)
}

// refillDelay bounds how long a replacement waits for the run that took
// (or missed) a launcher: a launcher's start-up costs a few milliseconds of
// CPU, and spawned at once it competes with the very command it replaces
// for the host's cores (measured: a warm `true` took twice as long on two
// cores). A command still running after refillDelay is long enough that
// the replacement is noise to it, and a concurrent command may want it.
const refillDelay = 100 * time.Millisecond

// refillAfter queues k's replacements when the returned func is called
// (the run ended) or after refillDelay, whichever comes first.
func (p *Pool) refillAfter(k spawnKey) func() {
	refill := func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if sl := p.slots[k]; sl != nil && !p.closed {
			p.refillLocked(sl)
		}
	}
	t := time.AfterFunc(refillDelay, refill)
	return func() {
		t.Stop()
		refill()
	}
}

// Prewarm spawns the launchers a run in workspace (with or without
// network) would take, unless they are there already. It returns at once;
// the error is about the workspace (not a directory, owned by root ...).
func (p *Pool) Prewarm(workspace string, network bool) error {
	if p.confErr != nil {
		return p.confErr
	}
	c := p.conf
	r, err := prepare(&c, &Spec{Workspace: workspace, Argv: []string{"true"}, Network: network})
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if sl := p.slotLocked(r.key); sl != nil {
		p.refillLocked(sl)
	}
	return nil
}

// Close kills every waiting launcher and waits until they are reaped. Runs
// in progress finish on their own launchers; later Runs start cold.
func (p *Pool) Close() error {
	p.mu.Lock()
	var waiting []*launcher
	if !p.closed {
		p.closed = true
		for k, sl := range p.slots {
			waiting = append(waiting, sl.ready...)
			sl.ready = nil
			delete(p.slots, k)
		}
		p.queue = nil
		p.broadcastLocked()
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	for _, l := range waiting {
		l.kill() // all at once; reaping them one by one follows
	}
	for _, l := range waiting {
		p.reap(l)
	}
	<-p.stopped
	p.bg.Wait()
	return nil
}

// poolable: only launchers in their own user and PID namespaces wait in
// the pool. A PID namespace makes a waiting launcher invisible to every
// command (no signal, no ptrace, no /proc entry reaches it); without one a
// command running as the same host uid could at least kill it.
func poolable(k spawnKey) bool { return k.ns.User && k.ns.PID }

// take removes a launcher for k from the pool, or returns nil. The
// caller arranges the replacement (refillAfter).
func (p *Pool) take(k spawnKey) *launcher {
	p.mu.Lock()
	defer p.mu.Unlock()
	sl := p.slotLocked(k)
	if sl == nil {
		return nil
	}
	// Prefer one already waiting for its spec over one still starting;
	// one that died is left to its watcher.
	pick := -1
scan:
	for i, l := range sl.ready {
		select {
		case <-l.ready:
			if l.alive {
				pick = i
				break scan
			}
		default:
			if pick < 0 {
				pick = i
			}
		}
	}
	var l *launcher
	if pick >= 0 {
		l = sl.ready[pick]
		sl.ready = slices.Delete(sl.ready, pick, pick+1)
	}
	return l
}

// slotLocked returns k's slot, creating it and evicting the least recently
// used key when there are too many; nil when k is not pooled at all.
func (p *Pool) slotLocked(k spawnKey) *slot {
	if p.closed || p.perKey <= 0 || !poolable(k) {
		return nil
	}
	p.tick++
	sl := p.slots[k]
	if sl == nil {
		for len(p.slots) >= p.maxKeys {
			var lru *slot
			for _, s := range p.slots {
				if lru == nil || s.used < lru.used {
					lru = s
				}
			}
			delete(p.slots, lru.key)
			for _, l := range lru.ready {
				p.bg.Add(1)
				go func() {
					defer p.bg.Done()
					p.reap(l)
				}()
			}
			lru.ready = nil
		}
		sl = &slot{key: k}
		p.slots[k] = sl
	}
	sl.used = p.tick
	return sl
}

// refillLocked queues spawns until sl will have perKey launchers.
func (p *Pool) refillLocked(sl *slot) {
	queued := false
	for len(sl.ready)+sl.pending < p.perKey {
		sl.pending++
		p.queue = append(p.queue, sl)
		queued = true
	}
	if queued {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

func (p *Pool) broadcastLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// spawner forks every pooled launcher from one OS thread that stays alive
// while any of them does. The launcher's parent-death signal (Pdeathsig)
// fires when the thread that cloned it exits, not the process: a launcher
// cloned from an ordinary goroutine's thread would be killed whenever the Go
// runtime retired that thread (it does when a goroutine exits while locked
// to it). Locking this goroutine keeps the thread to itself and alive.
// Launchers also exit when the spec pipe reaches EOF, which happens at the
// latest when the server process is gone.
func (p *Pool) spawner() {
	runtime.LockOSThread()
	for {
		sl, ok := p.next()
		if !ok {
			break
		}
		l, err := spawn(p.exe, sl.key)
		p.mu.Lock()
		sl.pending--
		keep := err == nil && !p.closed && p.slots[sl.key] == sl
		if keep {
			sl.ready = append(sl.ready, l)
			p.inflight.Add(1)
		}
		p.broadcastLocked()
		p.mu.Unlock()
		if keep {
			go p.watch(sl, l)
		} else if err == nil {
			p.inflight.Add(1)
			p.reap(l)
		}
	}
	close(p.stopped)
	p.inflight.Wait()
	runtime.UnlockOSThread()
}

// next returns the next slot owed a spawn; false once the pool is closed.
func (p *Pool) next() (*slot, bool) {
	for {
		p.mu.Lock()
		for len(p.queue) > 0 && !p.closed {
			sl := p.queue[0]
			p.queue = p.queue[1:]
			if p.slots[sl.key] == sl {
				p.mu.Unlock()
				return sl, true
			}
			sl.pending-- // evicted meanwhile
		}
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return nil, false
		}
		<-p.wake
	}
}

// watch waits until l is ready; a launcher that died first is removed and
// reaped here.
func (p *Pool) watch(sl *slot, l *launcher) {
	<-l.ready
	p.mu.Lock()
	owned := false
	if !l.alive {
		if i := slices.Index(sl.ready, l); i >= 0 {
			sl.ready = slices.Delete(sl.ready, i, i+1)
			owned = true
			p.bg.Add(1)
		}
	}
	p.broadcastLocked()
	p.mu.Unlock()
	if owned {
		defer p.bg.Done()
		p.reap(l)
	}
}

// reap discards a launcher the pool forked.
func (p *Pool) reap(l *launcher) {
	l.discard()
	p.inflight.Done()
}

// poolStats counts how runs went (tests and benchmarks).
type poolStats struct{ warm, cold, retried int64 }

func (p *Pool) stats() poolStats {
	return poolStats{warm: p.warm.Load(), cold: p.cold.Load(), retried: p.retried.Load()}
}

// waitReady waits until a launcher for a run in workspace is waiting for
// its spec, and returns its pid (tests and benchmarks: a warm run is one
// that finds such a launcher).
func (p *Pool) waitReady(ctx context.Context, workspace string, network bool) (int, error) {
	c := p.conf
	r, err := prepare(&c, &Spec{Workspace: workspace, Argv: []string{"true"}, Network: network})
	if err != nil {
		return 0, err
	}
	for {
		p.mu.Lock()
		var ready []*launcher
		if sl := p.slots[r.key]; sl != nil {
			ready = slices.Clone(sl.ready)
		}
		changed := p.changed
		p.mu.Unlock()
		for _, l := range ready {
			select {
			case <-l.ready:
				if l.alive {
					return l.proc.Pid, nil
				}
			default:
			}
		}
		select {
		case <-changed: // a spawn finished or a launcher became ready
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}
