package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/airlock-dev/airlock/store"
)

// List limits: a zero limit means defaultListLimit; anything above
// maxListLimit is cut to it so one request cannot pull the whole table.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// AddVote implements store.Approvals. The status check and the insert share
// one IMMEDIATE transaction on the single writer, so a vote can never land
// on an action that a concurrent update already moved out of
// pending_approval. A missing action is store.ErrNotFound. A zero CreatedAt
// is set to the current time.
func (s *Store) AddVote(ctx context.Context, v store.Vote) (err error) {
	if err := checkVote(v); err != nil {
		return err
	}
	created := v.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: add vote on %q: begin: %w", v.ActionID, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var status string
	err = tx.QueryRowContext(ctx, `SELECT status FROM actions WHERE id = ?`, v.ActionID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: add vote on %q: read action: %w", v.ActionID, err)
	}
	if store.Status(status) != store.StatusPendingApproval {
		return store.ErrConflict
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO votes (action_id, principal, kind, comment, created_at)
		VALUES (?, ?, ?, ?, ?)`, v.ActionID, v.Principal, string(v.Kind), v.Comment, toNanos(created))
	if isConstraint(err) {
		return store.ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("sqlite: add vote on %q: %w", v.ActionID, err)
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: add vote on %q: commit: %w", v.ActionID, err)
	}
	s.hub.publish(v.ActionID)
	return nil
}

func checkVote(v store.Vote) error {
	switch {
	case v.ActionID == "":
		return errors.New("sqlite: add vote: empty action id")
	case v.Principal == "":
		return fmt.Errorf("sqlite: add vote on %q: empty principal", v.ActionID)
	case v.Kind != store.VoteApprove && v.Kind != store.VoteReject:
		return fmt.Errorf("sqlite: add vote on %q: invalid kind %q", v.ActionID, v.Kind)
	}
	return nil
}

// Votes implements store.Approvals. Ties in time are broken by principal so
// that every reader sees the same order.
func (s *Store) Votes(ctx context.Context, actionID string) ([]store.Vote, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT action_id, principal, kind, comment, created_at FROM votes
		WHERE action_id = ? ORDER BY created_at, principal`, actionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: votes on %q: %w", actionID, err)
	}
	defer rows.Close()
	var votes []store.Vote
	for rows.Next() {
		var (
			v       store.Vote
			kind    string
			created int64
		)
		if err := rows.Scan(&v.ActionID, &v.Principal, &kind, &v.Comment, &created); err != nil {
			return nil, fmt.Errorf("sqlite: votes on %q: scan: %w", actionID, err)
		}
		v.Kind, v.CreatedAt = store.VoteKind(kind), fromNanos(created)
		votes = append(votes, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: votes on %q: %w", actionID, err)
	}
	return votes, nil
}

// ListActions implements store.Approvals. An unknown status or a negative
// limit is an error rather than an empty result, so a caller's bug does not
// look like "nothing is pending".
func (s *Store) ListActions(ctx context.Context, f store.ActionFilter) ([]*store.Action, error) {
	limit, err := listLimit(f.Limit)
	if err != nil {
		return nil, err
	}
	var (
		where []string
		args  []any
	)
	if len(f.Statuses) > 0 {
		marks := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			if !st.Valid() {
				return nil, fmt.Errorf("sqlite: list actions: invalid status %q", st)
			}
			marks[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "status IN ("+strings.Join(marks, ", ")+")")
	}
	if f.Workspace != "" {
		where, args = append(where, "workspace = ?"), append(args, f.Workspace)
	}
	if f.Principal != "" {
		where, args = append(where, "principal = ?"), append(args, f.Principal)
	}
	if !f.CreatedBefore.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, toNanos(f.CreatedBefore))
	}
	if !f.ExpiresBefore.IsZero() {
		where, args = append(where, "expires_at <> 0 AND expires_at < ?"), append(args, toNanos(f.ExpiresBefore))
	}
	q := `SELECT ` + actionColumns + ` FROM actions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at, id LIMIT ?"
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list actions: %w", err)
	}
	defer rows.Close()
	var out []*store.Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list actions: scan: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list actions: %w", err)
	}
	return out, nil
}

func listLimit(n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("sqlite: list actions: negative limit %d", n)
	case n == 0:
		return defaultListLimit, nil
	case n > maxListLimit:
		return maxListLimit, nil
	}
	return n, nil
}
