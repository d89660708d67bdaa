package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/airlock-dev/airlock/approval"
	"github.com/airlock-dev/airlock/audit"
	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/metrics"
	"github.com/airlock-dev/airlock/pipeline"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/sandbox"
	"github.com/airlock-dev/airlock/sandbox/files"
	"github.com/airlock-dev/airlock/store"
	"github.com/airlock-dev/airlock/store/postgres"
	"github.com/airlock-dev/airlock/store/sqlite"
)

// App is a fully wired Airlock built from a configuration: everything is
// opened and checked before anything listens (the first of two phases).
type App struct {
	Config *config.Config
	Log    *zap.Logger
	Server *Server
	Engine *policy.Engine
	// Shadow is the candidate policy evaluated beside Engine, if configured.
	Shadow    *policy.Engine
	Store     store.Store
	Recorder  *audit.Recorder
	Approvals *approval.Service
	Metrics   *metrics.Metrics
	roots     []*files.Root
	pool      *sandbox.Pool
	// draining is set once shutdown starts, so /readyz turns a load
	// balancer away while in-flight calls finish.
	draining atomic.Bool
}

// Option adjusts Build.
type Option func(*buildOpts)

type buildOpts struct{ now func() time.Time }

// WithClock replaces time.Now (tests of expiry).
func WithClock(now func() time.Time) Option { return func(o *buildOpts) { o.now = now } }

// Build opens the store, compiles the policy, opens the workspaces and
// wires the server. It refuses to build on any error (a broken policy, a
// missing workspace, a required sandbox layer the host lacks).
func Build(ctx context.Context, cfg *config.Config, log *zap.Logger, opts ...Option) (_ *App, err error) {
	var o buildOpts
	for _, opt := range opts {
		opt(&o)
	}
	if o.now == nil {
		o.now = time.Now
	}
	a := &App{Config: cfg, Log: log, Metrics: metrics.New()}
	if missing := sandbox.Probe().Missing(cfg.Sandbox.Required); len(missing) > 0 {
		return nil, fmt.Errorf("sandbox: this host cannot provide the required layers %v (see airlock doctor)", missing)
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	pc := policy.Conf{
		Dir: cfg.Policy.Dir, Bundle: cfg.Policy.Bundle, Watch: cfg.Policy.Watch, Rescan: cfg.Policy.Rescan,
		TestTimeout: cfg.Policy.TestTimeout, Query: cfg.Policy.Query, Timeout: cfg.Policy.Timeout,
		DefaultApproval: policy.ApprovalDefaults{
			Roles: cfg.Policy.ApprovalRoles, Approvals: cfg.Policy.Approvals, TTL: cfg.Policy.ApprovalTTL,
		},
	}
	reloaded := policy.WithReloadHook(func(result string) { a.Metrics.PolicyReload(result) })
	a.Engine, err = policy.New(ctx, pc, policy.WithLogger(log), reloaded)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	st, err := OpenStore(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	a.Store = st
	a.Recorder, err = audit.NewRecorder(ctx, st, log)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	lim := files.Limits{
		MaxFileBytes: cfg.Limits.MaxFileBytes, MaxReadBytes: cfg.Limits.MaxReadBytes,
		MaxListEntries: cfg.Limits.MaxListEntries, MaxListDepth: cfg.Limits.MaxListDepth,
		MaxDiffBytes: cfg.Limits.MaxDiffBytes,
	}
	lim = lim.WithDefaults()
	var wss []*pipeline.Workspace
	for _, w := range cfg.Workspaces {
		root, err := files.Open(w.Root, lim)
		if err != nil {
			return nil, fmt.Errorf("workspace %q: %w", w.Name, err)
		}
		a.roots = append(a.roots, root)
		auditOnly := w.Enforcement == "audit-only"
		if auditOnly {
			log.Warn("AUDIT-ONLY workspace: policy denials and escalations are recorded but NOT enforced", zap.String("workspace", w.Name))
		}
		wss = append(wss, &pipeline.Workspace{Name: w.Name, Environment: w.Environment, Labels: w.Labels, Root: root, AuditOnly: auditOnly})
	}
	// Commands run on launchers spawned ahead of need; one per workspace
	// owner is started now (network off, the common case).
	a.pool = sandbox.NewPool(cfg.Sandbox)
	if sup := sandbox.Probe(); sup.UserNS && sup.PIDNS {
		for _, r := range a.roots {
			if err := a.pool.Prewarm(r.Dir(), false); err != nil {
				log.Warn("sandbox prewarm failed", zap.String("workspace", r.Dir()), zap.Error(err))
			}
		}
	}
	if ids, err := st.MarkInterrupted(ctx, cfg.ReplicaID, pipeline.InterruptedRecord); err != nil {
		return nil, fmt.Errorf("store: marking interrupted actions: %w", err)
	} else if len(ids) > 0 {
		log.Warn("actions interrupted by the previous stop", zap.Strings("action_ids", ids))
		for _, id := range ids {
			ev := audit.Event{Type: audit.TypeActionInterrupted, ActionID: id,
				ErrorMessage: "the server stopped while the action was running; its outcome is unknown"}
			if err := a.Recorder.Record(ctx, ev); err != nil {
				return nil, fmt.Errorf("audit: recording interrupted action %s: %w", id, err)
			}
		}
	}
	var shadow pipeline.Decider
	if cfg.Policy.ShadowDir != "" {
		pc.Dir, pc.Bundle = cfg.Policy.ShadowDir, nil
		if a.Shadow, err = policy.New(ctx, pc, policy.WithLogger(log.Named("shadow")), reloaded); err != nil {
			return nil, fmt.Errorf("shadow policy: %w", err)
		}
		shadow = a.Shadow
	}
	pipe, err := pipeline.New(pipeline.Deps{
		Decider: a.Engine, Store: st, Audit: a.Recorder, Log: log, Workspaces: wss, Limits: lim,
		Sandbox: cfg.Sandbox, SandboxPool: a.pool, ReaderRoles: []string{"auditor", "admin"}, Now: o.now, ReplicaID: cfg.ReplicaID,
		OnEscalate: func(r *pipeline.Record) { a.Approvals.Escalated(r) }, Metrics: a.Metrics, Shadow: shadow,
	})
	if err != nil {
		return nil, err
	}
	a.Approvals = approval.New(cfg.Approvals, approval.Deps{Pipeline: pipe, Store: st, Audit: a.Recorder, Log: log, Now: o.now, Metrics: a.Metrics})
	tokens, err := cfg.Tokens()
	if err != nil {
		return nil, err
	}
	a.Server, err = New(Conf{
		MaxMessageBytes: cfg.Listen.MaxMessageBytes, TLSCertFile: cfg.Listen.TLS.CertFile,
		TLSKeyFile: cfg.Listen.TLS.KeyFile, ShutdownGrace: cfg.Listen.ShutdownGrace,
	}, log, tokens, pipe, a.Approvals, st)
	if err == nil {
		a.Server.engine, a.Server.shadow = a.Engine, a.Shadow
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// OpenStore opens the configured store: PostgreSQL when store.postgres is
// set (migrations applied), else the SQLite file.
func OpenStore(ctx context.Context, c config.Store) (store.Store, error) {
	if c.Postgres != "" {
		st, err := postgres.Open(ctx, c.Postgres)
		if err != nil {
			return nil, fmt.Errorf("store: postgres: %w", err)
		}
		return st, nil
	}
	if err := os.MkdirAll(filepath.Dir(c.Path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	st, err := sqlite.Open(ctx, c.Path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return st, nil
}

// AdminHandler is the admin HTTP handler (metrics, health, readiness).
func (a *App) AdminHandler() http.Handler {
	return adminHandler(a.Config.Admin.Pprof, a.Metrics, a.Store,
		func() bool { return a.Engine.Revision() != "" }, a.draining.Load)
}

// Listen opens the configured listeners: TCP (refusing plaintext on a
// non-loopback address unless explicitly allowed, and warning then) and the
// unix socket.
func (a *App) Listen() ([]net.Listener, error) {
	var ls []net.Listener
	c := a.Config.Listen
	if c.Address != "" {
		if c.TLS.CertFile == "" && c.AllowInsecureRemote {
			a.Log.Warn("serving bearer tokens over plaintext on a non-loopback address (listen.allow_insecure_remote)", zap.String("address", c.Address))
		}
		l, err := net.Listen("tcp", c.Address)
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	if c.UnixSocket != "" {
		l, err := ListenUnix(c.UnixSocket)
		if err != nil {
			for _, o := range ls {
				o.Close()
			}
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// Serve serves on every listener until ctx ends, then stops gracefully.
func (a *App) Serve(ctx context.Context, ls []net.Listener) error {
	// Background work: expiry sweeps, policy watching or bundle polling.
	bgCtx, stopBG := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	bg.Go(func() { a.Approvals.Run(bgCtx) })
	for _, e := range []*policy.Engine{a.Engine, a.Shadow} {
		if e != nil {
			bg.Go(func() {
				if err := e.Run(bgCtx); err != nil && bgCtx.Err() == nil {
					a.Log.Error("policy source watcher stopped", zap.Error(err))
				}
			})
		}
	}
	defer func() { stopBG(); bg.Wait() }()
	if addr := a.Config.Admin.Address; addr != "" {
		al, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		hs := &http.Server{Handler: a.AdminHandler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = hs.Serve(al) }()
		defer hs.Close()
		a.Log.Info("admin listening", zap.String("address", al.Addr().String()), zap.Bool("pprof", a.Config.Admin.Pprof))
	}
	errc := make(chan error, len(ls))
	for _, l := range ls {
		a.Log.Info("listening", zap.String("address", l.Addr().String()), zap.String("network", l.Addr().Network()),
			zap.String("policy_revision", a.Engine.Revision()))
		go func() { errc <- a.Server.Serve(l) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	a.draining.Store(true)
	a.Server.Stop(context.Background())
	return err
}

// Close releases everything Build opened, in reverse order.
func (a *App) Close() error {
	var errs []error
	if a.pool != nil {
		errs = append(errs, a.pool.Close())
	}
	if a.Recorder != nil {
		errs = append(errs, a.Recorder.Close())
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	for _, r := range a.roots {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// Reload reloads the live and shadow policies now (SIGHUP). A refused
// revision leaves the live one serving; the error is logged and returned.
func (a *App) Reload(ctx context.Context) error {
	var errs []error
	for _, e := range []*policy.Engine{a.Engine, a.Shadow} {
		if e != nil {
			errs = append(errs, e.Reload(ctx))
		}
	}
	return errors.Join(errs...)
}
