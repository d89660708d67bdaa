package policy

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
)

// Engine evaluates one compiled policy revision at a time. Decide is safe for
// concurrent use and never locks: the live revision sits behind an atomic
// pointer that Reload replaces whole.
type Engine struct {
	conf Conf
	log  *zap.Logger

	live atomic.Pointer[compiled]
	// reloadMu serialises reloads only, so that two reloads cannot swap in
	// out of order; deciders never take it.
	reloadMu sync.Mutex
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

// New loads and compiles c.Dir. Any load or compile error (syntax, strict
// mode, a query that names no rule) is returned so that the server refuses to
// start rather than serve a policy that would deny everything.
func New(ctx context.Context, c Conf, opts ...Option) (*Engine, error) {
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{conf: c, log: zap.NewNop()}
	for _, o := range opts {
		o(e)
	}
	p, err := compile(ctx, c.Dir, c.Query)
	if err != nil {
		return nil, err
	}
	e.live.Store(p)
	e.log.Info("policy loaded",
		zap.String("policy_dir", c.Dir),
		zap.String("policy_revision", p.revision),
		zap.Int("policy_files", p.files))
	return e, nil
}

// Reload compiles the current contents of the policy directory beside the
// live revision and swaps it in only when it compiled. On error the old
// revision keeps serving and the error is returned.
func (e *Engine) Reload(ctx context.Context) error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	old := e.live.Load()
	p, err := compile(ctx, e.conf.Dir, e.conf.Query)
	if err != nil {
		e.log.Error("policy reload refused",
			zap.String("policy_dir", e.conf.Dir),
			zap.String("policy_revision", old.revision),
			zap.Error(err))
		return fmt.Errorf("reload policy: %w", err)
	}
	if p.revision == old.revision {
		return nil
	}
	e.live.Store(p)
	e.log.Info("policy reloaded",
		zap.String("policy_dir", e.conf.Dir),
		zap.String("policy_revision", p.revision),
		zap.String("policy_previous_revision", old.revision),
		zap.Int("policy_files", p.files))
	return nil
}

// Revision identifies the live policy sources.
func (e *Engine) Revision() string {
	return e.live.Load().revision
}
