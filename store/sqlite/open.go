package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/airlock-dev/airlock/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on one SQLite file. It is safe for concurrent use.
type Store struct {
	w *sql.DB // the single writer connection
	r *sql.DB // read-only pool

	now func() time.Time
	hub *hub

	closeOnce sync.Once
	closeErr  error
}

type config struct {
	busyTimeout time.Duration
	readConns   int
	now         func() time.Time
}

// Option configures Open.
type Option func(*config)

// WithBusyTimeout sets how long a connection waits for a lock held by another
// process (a second airlock, or the sqlite3 shell) before failing. Default 5s.
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.busyTimeout = d
		}
	}
}

// WithReadConns sets the size of the read pool. Default 4.
func WithReadConns(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.readConns = n
		}
	}
}

// WithClock replaces time.Now for the timestamps the store sets itself
// (UpdatedAt when the caller left it zero, MarkInterrupted). For tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// Open opens (creating if needed) the database at path and applies pending
// schema migrations before returning.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{busyTimeout: 5 * time.Second, readConns: 4, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	base := dsn(path, cfg.busyTimeout)
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite writer %q: %w", path, err)
	}
	// One writer: SQLite serialises writers anyway, and with IMMEDIATE
	// transactions on a single connection no transaction can fail with
	// SQLITE_BUSY on lock upgrade half-way through.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("migrate %q: %w", path, err)
	}
	r, err := sql.Open("sqlite", base+"&_query_only=1")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open sqlite readers %q: %w", path, err)
	}
	r.SetMaxOpenConns(cfg.readConns)
	r.SetMaxIdleConns(cfg.readConns)
	s := &Store{w: w, r: r, now: cfg.now, hub: newHub()}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// checkPath refuses names the driver would not treat as a plain file: the
// driver splits the DSN at the first '?', and "file:" or ":memory:" names
// would open something other than the file the operator configured.
func checkPath(path string) error {
	switch {
	case path == "":
		return errors.New("sqlite: empty database path")
	case strings.ContainsAny(path, "?\x00"):
		return fmt.Errorf("sqlite: database path %q contains '?' or NUL", path)
	case strings.HasPrefix(path, "file:"), strings.HasPrefix(path, ":memory:"):
		return fmt.Errorf("sqlite: database path %q must be a plain file name", path)
	}
	return nil
}

func dsn(path string, busy time.Duration) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	return path + "?" + q.Encode()
}

// Ping checks that both pools can reach the file.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping writer: %w", err)
	}
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping readers: %w", err)
	}
	return nil
}

// Close ends every subscription and closes both pools. Later calls return
// the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.hub.close()
		s.closeErr = errors.Join(s.r.Close(), s.w.Close())
	})
	return s.closeErr
}
