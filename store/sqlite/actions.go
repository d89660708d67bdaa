package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/airlock-dev/airlock/store"
)

const actionColumns = `id, principal, workspace, session_id, kind, idempotency_key, request_digest,
	status, request, record, created_at, updated_at, expires_at, owner`

// CreateAction implements store.Actions. Zero CreatedAt and UpdatedAt are
// set to the current time. Owner is stored only with status running (see
// ownerFor); the returned action shows what was stored. The insert itself is the
// idempotency check: the partial unique index decides which of two racing
// requests wins, and the loser reads the winner back.
func (s *Store) CreateAction(ctx context.Context, a *store.Action) (*store.Action, error) {
	if err := checkAction(a); err != nil {
		return nil, err
	}
	c := cloneAction(a)
	now := s.now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = fromNanos(toNanos(now))
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO actions (`+actionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Principal, c.Workspace, c.SessionID, c.Kind, c.IdempotencyKey, c.RequestDigest,
		string(c.Status), nonNil(c.Request), nonNil(c.Record),
		toNanos(c.CreatedAt), toNanos(c.UpdatedAt), toNanos(c.ExpiresAt), c.Owner)
	if err == nil {
		s.hub.publish(c.ID)
		return c, nil
	}
	if isConstraint(err) && a.IdempotencyKey != "" {
		existing, gerr := s.actionByKey(ctx, a.Principal, a.IdempotencyKey)
		if gerr == nil {
			return existing, store.ErrDuplicate
		}
		if !errors.Is(gerr, store.ErrNotFound) {
			return nil, fmt.Errorf("sqlite: read action for duplicate key: %w", gerr)
		}
		// The conflict was on something else (the id): fall through.
	}
	return nil, fmt.Errorf("sqlite: insert action %q: %w", a.ID, err)
}

// actionByKey reads through the writer so that it sees the row whose insert
// just conflicted even if a reader snapshot were older.
func (s *Store) actionByKey(ctx context.Context, principal, key string) (*store.Action, error) {
	row := s.w.QueryRowContext(ctx, `SELECT `+actionColumns+` FROM actions
		WHERE principal = ? AND idempotency_key = ?`, principal, key)
	return scanAction(row)
}

// UpdateAction implements store.Actions. The status check, the update and
// the session totals share one IMMEDIATE transaction on the single writer,
// so exactly one of several racing updates from the same status wins.
// A non-zero a.ExpiresAt replaces the stored expiry; a zero one keeps it.
// A zero a.UpdatedAt is replaced by the current time. Moving to running
// stores a.Owner; any other status keeps the stored owner.
func (s *Store) UpdateAction(ctx context.Context, id string, from store.Status, a *store.Action, delta store.SessionDelta) (err error) {
	if a == nil {
		return errors.New("sqlite: update action: nil action")
	}
	if !a.Status.Valid() {
		return fmt.Errorf("sqlite: update action %q: invalid status %q", id, a.Status)
	}
	updated := a.UpdatedAt
	if updated.IsZero() {
		updated = s.now()
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: update action %q: begin: %w", id, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var status, principal, session string
	err = tx.QueryRowContext(ctx, `SELECT status, principal, session_id FROM actions WHERE id = ?`, id).
		Scan(&status, &principal, &session)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: update action %q: read: %w", id, err)
	}
	if store.Status(status) != from {
		return store.ErrConflict
	}
	if _, err = tx.ExecContext(ctx, `UPDATE actions SET status = ?, record = ?, updated_at = ?,
			expires_at = CASE WHEN ? = 0 THEN expires_at ELSE ? END,
			owner = CASE WHEN ? THEN ? ELSE owner END
		WHERE id = ?`,
		string(a.Status), nonNil(a.Record), toNanos(updated),
		toNanos(a.ExpiresAt), toNanos(a.ExpiresAt),
		a.Status == store.StatusRunning, a.Owner, id); err != nil {
		return fmt.Errorf("sqlite: update action %q: %w", id, err)
	}
	if delta != (store.SessionDelta{}) {
		if _, err = tx.ExecContext(ctx, `INSERT INTO sessions (principal, session_id, actions, files_changed, lines_changed)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (principal, session_id) DO UPDATE SET
				actions = actions + excluded.actions,
				files_changed = files_changed + excluded.files_changed,
				lines_changed = lines_changed + excluded.lines_changed`,
			principal, session, delta.Actions, delta.FilesChanged, delta.LinesChanged); err != nil {
			return fmt.Errorf("sqlite: update session totals for action %q: %w", id, err)
		}
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: update action %q: commit: %w", id, err)
	}
	s.hub.publish(id)
	return nil
}

// GetAction implements store.Actions.
func (s *Store) GetAction(ctx context.Context, id string) (*store.Action, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+actionColumns+` FROM actions WHERE id = ?`, id)
	a, err := scanAction(row)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("sqlite: get action %q: %w", id, err)
	}
	return a, err
}

// SessionTotals implements store.Actions.
func (s *Store) SessionTotals(ctx context.Context, principal, session string) (store.SessionTotals, error) {
	var t store.SessionTotals
	err := s.r.QueryRowContext(ctx, `SELECT actions, files_changed, lines_changed FROM sessions
		WHERE principal = ? AND session_id = ?`, principal, session).
		Scan(&t.Actions, &t.FilesChanged, &t.LinesChanged)
	if errors.Is(err, sql.ErrNoRows) {
		return store.SessionTotals{}, nil
	}
	if err != nil {
		return store.SessionTotals{}, fmt.Errorf("sqlite: session totals: %w", err)
	}
	return t, nil
}

// MarkInterrupted implements store.Actions in one transaction, for the
// running actions owned by owner and the unowned ones (see ownedBy). record
// gets each action as stored, with Status already set to interrupted and
// UpdatedAt to now; a nil record func, or a nil result, keeps the stored
// record bytes. record runs inside the write transaction and must not call
// the store (the single writer connection is busy with it).
func (s *Store) MarkInterrupted(ctx context.Context, owner string, record func(*store.Action) []byte) (ids []string, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: mark interrupted: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	rows, err := tx.QueryContext(ctx, `SELECT `+actionColumns+` FROM actions
		WHERE status = ? AND `+ownedBy+` ORDER BY created_at, id`, string(store.StatusRunning), owner)
	if err != nil {
		return nil, fmt.Errorf("sqlite: mark interrupted: query: %w", err)
	}
	var running []*store.Action
	for rows.Next() {
		a, serr := scanAction(rows)
		if serr != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("sqlite: mark interrupted: scan: %w", serr)
		}
		running = append(running, a)
	}
	if err = rows.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: mark interrupted: rows: %w", err)
	}
	if err = rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: mark interrupted: rows: %w", err)
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
		if _, err = tx.ExecContext(ctx, `UPDATE actions SET status = ?, record = ?, updated_at = ?
			WHERE id = ? AND status = ?`,
			string(store.StatusInterrupted), nonNil(a.Record), toNanos(now), a.ID, string(store.StatusRunning)); err != nil {
			return nil, fmt.Errorf("sqlite: mark interrupted %q: %w", a.ID, err)
		}
		ids = append(ids, a.ID)
	}
	if err = tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: mark interrupted: commit: %w", err)
	}
	s.hub.publish(ids...)
	return ids, nil
}

func checkAction(a *store.Action) error {
	switch {
	case a == nil:
		return errors.New("sqlite: create action: nil action")
	case a.ID == "":
		return errors.New("sqlite: create action: empty id")
	case !a.Status.Valid():
		return fmt.Errorf("sqlite: create action %q: invalid status %q", a.ID, a.Status)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanAction(row scanner) (*store.Action, error) {
	var (
		a                         store.Action
		status                    string
		created, updated, expires int64
	)
	err := row.Scan(&a.ID, &a.Principal, &a.Workspace, &a.SessionID, &a.Kind, &a.IdempotencyKey,
		&a.RequestDigest, &status, &a.Request, &a.Record, &created, &updated, &expires, &a.Owner)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.Status = store.Status(status)
	a.CreatedAt, a.UpdatedAt, a.ExpiresAt = fromNanos(created), fromNanos(updated), fromNanos(expires)
	return &a, nil
}

// cloneAction returns what a read would return for a just-inserted a, so
// callers get the same shape (UTC times, own byte slices) either way.
func cloneAction(a *store.Action) *store.Action {
	c := *a
	c.Owner = ownerFor(a.Status, a.Owner)
	c.Request = append([]byte(nil), a.Request...)
	c.Record = append([]byte(nil), a.Record...)
	c.CreatedAt, c.UpdatedAt, c.ExpiresAt = fromNanos(toNanos(a.CreatedAt)), fromNanos(toNanos(a.UpdatedAt)), fromNanos(toNanos(a.ExpiresAt))
	return &c
}

// nonNil stores an empty blob rather than NULL so that reads never have to
// tell the two apart.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func isConstraint(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT:
		return true
	}
	return false
}
