package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-dev/airlock/store"
)

// List limits: zero means defaultListLimit; more than maxListLimit is cut.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// AddVote implements store.Approvals as one statement. It locks the
// action's row FOR SHARE before reading its status, so a concurrent
// UpdateAction (on any replica) either finished first, and the vote sees
// the new status, or waits until the vote has committed: a vote never
// lands on a decided action. A missing action is store.ErrNotFound; a zero
// CreatedAt is set to the current time.
func (s *Store) AddVote(ctx context.Context, v store.Vote) error {
	if err := checkVote(v); err != nil {
		return err
	}
	created := v.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	var (
		status   *string
		inserted int
	)
	err := s.pool.QueryRow(ctx, `WITH a AS (
			SELECT id, status FROM actions WHERE id = $1 FOR SHARE
		), ins AS (
			INSERT INTO votes (action_id, principal, kind, comment, created_at)
			SELECT id, $2, $3, $4, $5 FROM a WHERE status = $6
			ON CONFLICT (action_id, principal) DO NOTHING
			RETURNING action_id AS id
		), notified AS (
			SELECT `+notifyID+` FROM ins
		)
		SELECT (SELECT status FROM a), (SELECT count(*) FROM notified)`,
		bin(v.ActionID), bin(v.Principal), string(v.Kind), bin(v.Comment), toNanos(created),
		string(store.StatusPendingApproval)).Scan(&status, &inserted)
	switch {
	case err != nil:
		return fmt.Errorf("postgres: add vote on %q: %w", v.ActionID, err)
	case status == nil:
		return store.ErrNotFound
	case store.Status(*status) != store.StatusPendingApproval:
		return store.ErrConflict
	case inserted == 0:
		return store.ErrDuplicate
	}
	return nil
}

func checkVote(v store.Vote) error {
	switch {
	case v.ActionID == "":
		return errors.New("postgres: add vote: empty action id")
	case v.Principal == "":
		return fmt.Errorf("postgres: add vote on %q: empty principal", v.ActionID)
	case v.Kind != store.VoteApprove && v.Kind != store.VoteReject:
		return fmt.Errorf("postgres: add vote on %q: invalid kind %q", v.ActionID, v.Kind)
	}
	return nil
}

// Votes implements store.Approvals, ties in time broken by principal.
func (s *Store) Votes(ctx context.Context, actionID string) ([]store.Vote, error) {
	rows, err := s.pool.Query(ctx, `SELECT action_id, principal, kind, comment, created_at FROM votes
		WHERE action_id = $1 ORDER BY created_at, principal`, bin(actionID))
	if err != nil {
		return nil, fmt.Errorf("postgres: votes on %q: %w", actionID, err)
	}
	votes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Vote, error) {
		var (
			id, principal, comment []byte
			kind                   string
			created                int64
		)
		if err := r.Scan(&id, &principal, &kind, &comment, &created); err != nil {
			return store.Vote{}, err
		}
		return store.Vote{ActionID: string(id), Principal: string(principal), Kind: store.VoteKind(kind),
			Comment: string(comment), CreatedAt: fromNanos(created)}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: votes on %q: %w", actionID, err)
	}
	return votes, nil
}

// ListActions implements store.Approvals. An unknown status or a negative
// limit is an error, not an empty list.
func (s *Store) ListActions(ctx context.Context, f store.ActionFilter) ([]*store.Action, error) {
	limit, err := listLimit(f.Limit)
	if err != nil {
		return nil, err
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(args))))
	}
	if len(f.Statuses) > 0 {
		statuses := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			if !st.Valid() {
				return nil, fmt.Errorf("postgres: list actions: invalid status %q", st)
			}
			statuses[i] = string(st)
		}
		add("status = ANY($?::text[])", statuses)
	}
	if f.Workspace != "" {
		add("workspace = $?", bin(f.Workspace))
	}
	if f.Principal != "" {
		add("principal = $?", bin(f.Principal))
	}
	if !f.CreatedBefore.IsZero() {
		add("created_at < $?", toNanos(f.CreatedBefore))
	}
	if !f.ExpiresBefore.IsZero() {
		add("expires_at <> 0 AND expires_at < $?", toNanos(f.ExpiresBefore))
	}
	q := `SELECT ` + actionColumns + ` FROM actions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	q += fmt.Sprintf(" ORDER BY created_at, id LIMIT $%d", len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list actions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.Action, error) { return scanAction(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list actions: %w", err)
	}
	return out, nil
}

func listLimit(n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("postgres: list actions: negative limit %d", n)
	case n == 0:
		return defaultListLimit, nil
	case n > maxListLimit:
		return maxListLimit, nil
	}
	return n, nil
}
