package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/airlock-dev/airlock/store"
)

const actionColumns = `id, principal, workspace, session_id, kind, idempotency_key, request_digest,
	status, request, record, created_at, updated_at, expires_at, owner`

// notifyID is the SQL expression that publishes id (a bytea column) on the
// changes channel. The payload is hex because ids may hold bytes a text
// payload cannot; ids too long for a NOTIFY payload (8000 bytes) are not
// announced rather than failing the write, since delivery is best effort.
const notifyID = `pg_notify('` + channel + `', CASE WHEN octet_length(id) <= 3900 THEN encode(id, 'hex') ELSE '' END)`

// CreateAction implements store.Actions. Zero CreatedAt and UpdatedAt are
// set to the current time. Owner is stored only with status running (see
// ownerFor); the returned action shows what was stored. The insert is the
// idempotency check: the partial
// unique index decides which of two racing requests (on any replica) wins,
// and the loser reads the winner back. Insert and notification are one
// statement, so the id is announced exactly when the row commits.
func (s *Store) CreateAction(ctx context.Context, a *store.Action) (*store.Action, error) {
	if err := checkAction(a); err != nil {
		return nil, err
	}
	c := cloneAction(a)
	if c.CreatedAt.IsZero() {
		c.CreatedAt = fromNanos(toNanos(s.now()))
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	_, err := s.pool.Exec(ctx, `WITH ins AS (
			INSERT INTO actions (`+actionColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			RETURNING id)
		SELECT `+notifyID+` FROM ins`,
		bin(c.ID), bin(c.Principal), bin(c.Workspace), bin(c.SessionID), bin(c.Kind), bin(c.IdempotencyKey),
		bin(c.RequestDigest), string(c.Status), nonNil(c.Request), nonNil(c.Record),
		toNanos(c.CreatedAt), toNanos(c.UpdatedAt), toNanos(c.ExpiresAt), bin(c.Owner))
	if err == nil {
		return c, nil
	}
	if uniqueViolation(err, "actions_idempotency") && a.IdempotencyKey != "" {
		existing, gerr := s.actionByKey(ctx, a.Principal, a.IdempotencyKey)
		if gerr != nil {
			return nil, fmt.Errorf("postgres: read action for duplicate key: %w", gerr)
		}
		return existing, store.ErrDuplicate
	}
	return nil, fmt.Errorf("postgres: insert action %q: %w", a.ID, err)
}

// actionByKey runs after a unique violation, which PostgreSQL raises only
// once the conflicting insert has committed, so a new statement sees it.
func (s *Store) actionByKey(ctx context.Context, principal, key string) (*store.Action, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+actionColumns+` FROM actions
		WHERE principal = $1 AND idempotency_key = $2`, bin(principal), bin(key))
	return scanAction(row)
}

// UpdateAction implements store.Actions as one statement: a single
// UPDATE ... WHERE id = $1 AND status = $2 (under READ COMMITTED a racing
// update re-checks the status on the newest row version, so exactly one
// claim wins across replicas), the session totals of the row it updated,
// and the notification. A non-zero a.ExpiresAt replaces the stored expiry;
// a zero one keeps it. A zero a.UpdatedAt is replaced by the current time.
// Moving to running stores a.Owner; any other status keeps the stored
// owner.
func (s *Store) UpdateAction(ctx context.Context, id string, from store.Status, a *store.Action, delta store.SessionDelta) error {
	if a == nil {
		return errors.New("postgres: update action: nil action")
	}
	if !a.Status.Valid() {
		return fmt.Errorf("postgres: update action %q: invalid status %q", id, a.Status)
	}
	updated := a.UpdatedAt
	if updated.IsZero() {
		updated = s.now()
	}
	var n int
	err := s.pool.QueryRow(ctx, `WITH upd AS (
			UPDATE actions SET status = $3, record = $4, updated_at = $5,
				expires_at = CASE WHEN $6::bigint = 0 THEN expires_at ELSE $6::bigint END,
				owner = CASE WHEN $3 = 'running' THEN $11::bytea ELSE owner END
			WHERE id = $1 AND status = $2
			RETURNING id, principal, session_id
		), totals AS (
			INSERT INTO sessions AS s (principal, session_id, actions, files_changed, lines_changed)
			SELECT principal, session_id, $7, $8, $9 FROM upd WHERE $10::boolean
			ON CONFLICT (principal, session_id) DO UPDATE SET
				actions = s.actions + excluded.actions,
				files_changed = s.files_changed + excluded.files_changed,
				lines_changed = s.lines_changed + excluded.lines_changed
		), notified AS (
			SELECT `+notifyID+` FROM upd
		)
		SELECT (SELECT count(*) FROM notified)`,
		bin(id), string(from), string(a.Status), nonNil(a.Record), toNanos(updated), toNanos(a.ExpiresAt),
		delta.Actions, delta.FilesChanged, delta.LinesChanged, delta != (store.SessionDelta{}), bin(a.Owner)).Scan(&n)
	if err != nil {
		return fmt.Errorf("postgres: update action %q: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM actions WHERE id = $1)`, bin(id)).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: update action %q: read: %w", id, err)
	}
	if !exists {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// GetAction implements store.Actions.
func (s *Store) GetAction(ctx context.Context, id string) (*store.Action, error) {
	a, err := scanAction(s.pool.QueryRow(ctx, `SELECT `+actionColumns+` FROM actions WHERE id = $1`, bin(id)))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("postgres: get action %q: %w", id, err)
	}
	return a, err
}

// SessionTotals implements store.Actions.
func (s *Store) SessionTotals(ctx context.Context, principal, session string) (store.SessionTotals, error) {
	var t store.SessionTotals
	err := s.pool.QueryRow(ctx, `SELECT actions, files_changed, lines_changed FROM sessions
		WHERE principal = $1 AND session_id = $2`, bin(principal), bin(session)).
		Scan(&t.Actions, &t.FilesChanged, &t.LinesChanged)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.SessionTotals{}, nil
	}
	if err != nil {
		return store.SessionTotals{}, fmt.Errorf("postgres: session totals: %w", err)
	}
	return t, nil
}

// MarkInterrupted implements store.Actions in one transaction that locks
// the running rows owned by owner and the unowned ones (see ownedBy); other
// replicas' running actions are neither read nor locked, so a replica can
// restart while the others keep executing. record runs inside the
// transaction and must not call the store.
func (s *Store) MarkInterrupted(ctx context.Context, owner string, record func(*store.Action) []byte) ([]string, error) {
	var ids []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ids = nil
		rows, err := tx.Query(ctx, `SELECT `+actionColumns+` FROM actions WHERE status = $1 AND `+ownedBy+`
			ORDER BY created_at, id FOR UPDATE`, string(store.StatusRunning), bin(owner))
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
		running, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.Action, error) { return scanAction(r) })
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		now := s.now()
		for _, a := range running {
			a.Status = store.StatusInterrupted
			a.UpdatedAt = now.UTC()
			if record != nil {
				if b := record(a); b != nil {
					a.Record = b
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE actions SET status = $1, record = $2, updated_at = $3
				WHERE id = $4 AND status = $5`,
				string(store.StatusInterrupted), nonNil(a.Record), toNanos(now), bin(a.ID), string(store.StatusRunning)); err != nil {
				return fmt.Errorf("update %q: %w", a.ID, err)
			}
			if _, err := tx.Exec(ctx, `SELECT `+notifyID+` FROM (SELECT $1::bytea AS id) AS t`, bin(a.ID)); err != nil {
				return fmt.Errorf("notify %q: %w", a.ID, err)
			}
			ids = append(ids, a.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: mark interrupted: %w", err)
	}
	return ids, nil
}

func checkAction(a *store.Action) error {
	switch {
	case a == nil:
		return errors.New("postgres: create action: nil action")
	case a.ID == "":
		return errors.New("postgres: create action: empty id")
	case !a.Status.Valid():
		return fmt.Errorf("postgres: create action %q: invalid status %q", a.ID, a.Status)
	}
	return nil
}

func scanAction(row pgx.Row) (*store.Action, error) {
	var (
		a                                                  store.Action
		id, principal, workspace, session, kind, key, dgst []byte
		owner                                              []byte
		status                                             string
		created, updated, expires                          int64
	)
	err := row.Scan(&id, &principal, &workspace, &session, &kind, &key, &dgst, &status,
		&a.Request, &a.Record, &created, &updated, &expires, &owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.ID, a.Principal, a.Workspace, a.SessionID = string(id), string(principal), string(workspace), string(session)
	a.Kind, a.IdempotencyKey, a.RequestDigest, a.Owner = string(kind), string(key), string(dgst), string(owner)
	a.Status = store.Status(status)
	a.Request, a.Record = nonNil(a.Request), nonNil(a.Record)
	a.CreatedAt, a.UpdatedAt, a.ExpiresAt = fromNanos(created), fromNanos(updated), fromNanos(expires)
	return &a, nil
}

// cloneAction returns what a read would return for a just-inserted a.
func cloneAction(a *store.Action) *store.Action {
	c := *a
	c.Owner = ownerFor(a.Status, a.Owner)
	c.Request = append([]byte{}, a.Request...)
	c.Record = append([]byte{}, a.Record...)
	c.CreatedAt, c.UpdatedAt, c.ExpiresAt = fromNanos(toNanos(a.CreatedAt)), fromNanos(toNanos(a.UpdatedAt)), fromNanos(toNanos(a.ExpiresAt))
	return &c
}

// uniqueViolation reports whether err is a unique violation of constraint
// (any constraint when constraint is empty).
func uniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		return false
	}
	return constraint == "" || pe.ConstraintName == constraint
}
