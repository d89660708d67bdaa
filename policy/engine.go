package policy

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Reload results passed to the WithReloadHook callback.
const (
	ReloadOK    = "ok"
	ReloadError = "error"
)

// Engine evaluates one compiled policy revision at a time. Decide is safe for
// concurrent use and never locks: the live revision sits behind an atomic
// pointer that Reload replaces whole, so an evaluation that started on one
// revision finishes on it.
type Engine struct {
	conf     Conf
	log      *zap.Logger
	src      source
	hc       *http.Client
	onReload func(result string)

	live atomic.Pointer[compiled]
	// reloadMu serialises reloads only, so that two reloads cannot swap in
	// out of order; deciders never take it.
	reloadMu sync.Mutex

	// mu guards the reload status below (read by Status).
	mu          sync.Mutex
	lastErr     error
	lastAttempt time.Time
	// refused is the revision last refused, so that a re-scan does not
	// rebuild (and log) the same broken sources again and again.
	refused string

	// builds counts revisions compiled after New (tests prove that an
	// unchanged bundle is not rebuilt).
	builds atomic.Int64
	// watching, when set (tests), is closed once Run watches the directory.
	watching chan struct{}
}

// Option configures an Engine.
type Option func(*Engine)

// WithLogger sets where fail-closed decisions and reloads are logged. The
// default discards, so that library use stays quiet.
func WithLogger(l *zap.Logger) Option {
	return func(e *Engine) {
		if l != nil {
			e.log = l
		}
	}
}

// WithReloadHook calls fn with ReloadOK or ReloadError after every reload
// that built a new revision or failed (feeding a metric); a reload that
// found the sources unchanged calls nothing. fn must not block.
func WithReloadHook(fn func(result string)) Option {
	return func(e *Engine) { e.onReload = fn }
}

// WithHTTPClient sets the client that fetches a bundle URL (a custom CA, a
// proxy). The default has a 30 s timeout.
func WithHTTPClient(c *http.Client) Option {
	return func(e *Engine) { e.hc = c }
}

// New loads, compiles and checks the configured source. Any error (syntax,
// strict mode, a query that names no rule, a failing rego test, a bad
// bundle signature) is returned so that the server refuses to start rather
// than serve a policy that would deny everything.
func New(ctx context.Context, c Conf, opts ...Option) (*Engine, error) {
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{conf: c, log: zap.NewNop()}
	for _, o := range opts {
		o(e)
	}
	src, err := newSource(c, e.hc)
	if err != nil {
		return nil, err
	}
	e.src = src
	snap, err := src.fetch(ctx)
	if err != nil {
		return nil, err
	}
	if snap == nil {
		return nil, fmt.Errorf("policy %s: nothing to load", src)
	}
	p, err := e.build(ctx, snap)
	src.seen(snap)
	if err != nil {
		return nil, err
	}
	p.loadedAt = time.Now()
	e.live.Store(p)
	e.mu.Lock()
	e.lastAttempt = p.loadedAt
	e.mu.Unlock()
	e.log.Info("policy loaded",
		zap.String("policy_source", p.source),
		zap.String("policy_revision", p.revision),
		zap.Int("policy_files", p.files))
	e.warn(p)
	return e, nil
}

// Reload fetches the source again and builds the new revision beside the
// live one. It swaps the new revision in only when it compiled and its own
// rego tests passed; otherwise the live revision keeps serving and the error
// is returned (and kept for Status). Unchanged sources are not rebuilt.
func (e *Engine) Reload(ctx context.Context) error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	old := e.live.Load()
	snap, err := e.src.fetch(ctx)
	if err == nil && snap == nil {
		e.settle(nil)
		return nil
	}
	var p *compiled
	if err == nil {
		rev := revisionOf(snap.files)
		if rev == old.revision {
			e.src.seen(snap)
			e.settle(nil)
			return nil
		}
		e.mu.Lock()
		again, last := rev == e.refused, e.lastErr
		e.mu.Unlock()
		if again && last != nil {
			e.settle(last)
			return last
		}
		e.builds.Add(1)
		p, err = e.build(ctx, snap)
		if err != nil && ctx.Err() == nil {
			// A cancelled build says nothing about the sources; any
			// other failure does, so the same bytes are not judged again.
			e.src.seen(snap)
			e.mu.Lock()
			e.refused = rev
			e.mu.Unlock()
		}
		if err == nil {
			e.src.seen(snap)
		}
	}
	if err != nil {
		err = fmt.Errorf("reload policy: %w", err)
		e.log.Error("policy reload refused",
			zap.String("policy_source", e.src.String()),
			zap.String("policy_revision", old.revision),
			zap.Error(err))
		e.settle(err)
		e.hook(ReloadError)
		return err
	}
	p.loadedAt = time.Now()
	e.live.Store(p)
	e.settle(nil)
	e.log.Info("policy reloaded",
		zap.String("policy_source", p.source),
		zap.String("policy_revision", p.revision),
		zap.String("policy_previous_revision", old.revision),
		zap.Int("policy_files", p.files))
	e.warn(p)
	e.hook(ReloadOK)
	return nil
}

// build compiles a snapshot and puts it through the gate: its rego tests
// must pass; the smoke check only warns.
func (e *Engine) build(ctx context.Context, snap *snapshot) (*compiled, error) {
	p, err := compile(ctx, snap, e.src.String(), e.conf.Query)
	if err != nil {
		return nil, err
	}
	if err := runTests(ctx, snap, e.conf.TestTimeout); err != nil {
		return nil, err
	}
	p.warnings = e.smoke(ctx, p)
	return p, nil
}

func (e *Engine) settle(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lastAttempt = time.Now()
	e.lastErr = err
	if err == nil {
		e.refused = ""
	}
}

func (e *Engine) hook(result string) {
	if e.onReload != nil {
		e.onReload(result)
	}
}

func (e *Engine) warn(p *compiled) {
	for _, w := range p.warnings {
		e.log.Warn("policy warning",
			zap.String("policy_source", p.source),
			zap.String("policy_revision", p.revision),
			zap.String("warning", w))
	}
}

// Revision identifies the live policy sources.
func (e *Engine) Revision() string {
	return e.live.Load().revision
}

// RevisionStatus describes one loaded revision.
type RevisionStatus struct {
	Revision string
	// Source is "dir:<path>" or "bundle:<file or URL without query>".
	Source   string
	LoadedAt time.Time
	Files    int
	// Warnings are what the smoke check found (the revision still serves).
	Warnings []string
}

// Status is what an operator needs to know about the engine's reloads.
type Status struct {
	Live RevisionStatus
	// LastError is why the last reload was refused; nil after a reload
	// that succeeded or found nothing new.
	LastError   error
	LastAttempt time.Time
}

// Status reports the live revision and the outcome of the last reload.
func (e *Engine) Status() Status {
	p := e.live.Load()
	e.mu.Lock()
	defer e.mu.Unlock()
	return Status{
		Live: RevisionStatus{
			Revision: p.revision, Source: p.source, LoadedAt: p.loadedAt,
			Files: p.files, Warnings: slices.Clone(p.warnings),
		},
		LastError:   e.lastErr,
		LastAttempt: e.lastAttempt,
	}
}

// Source names where the engine loads from ("dir:..." or "bundle:...").
func (e *Engine) Source() string { return e.src.String() }
