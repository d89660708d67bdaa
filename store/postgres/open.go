package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airlock-dev/airlock/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on one PostgreSQL database. It is safe for
// concurrent use, and any number of Stores (in any number of processes) may
// share the database.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
	hub  *hub
	lis  *listener

	closeOnce sync.Once
}

type config struct {
	now      func() time.Time
	onListen func()
}

// Option configures Open.
type Option func(*config)

// WithClock replaces time.Now for the timestamps the store sets itself
// (UpdatedAt or a vote's time when the caller left it zero,
// MarkInterrupted). For tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// Open connects to dsn (a libpq URL or key=value string; pool size and the
// like go in it as pool_max_conns and friends), applies pending schema
// migrations and returns the store. Errors never contain the DSN, which may
// hold a password.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg := config{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("postgres: invalid DSN") // the parse error may quote the password
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	err = migrate(ctx, conn.Conn())
	conn.Release()
	if err != nil {
		pool.Close()
		return nil, err
	}
	h := newHub()
	lcfg := pcfg.ConnConfig.Copy()
	lcfg.RuntimeParams["application_name"] = "airlock-listener"
	return &Store{pool: pool, now: cfg.now, hub: h, lis: newListener(lcfg, h, cfg.onListen)}, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close stops the listener, ends every subscription and closes the pool.
// Later calls do nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.lis.stop()
		s.hub.close()
		s.pool.Close()
	})
	return nil
}
