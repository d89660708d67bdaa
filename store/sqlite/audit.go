package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/airlock-dev/airlock/store"
)

// scanPage bounds how many audit rows ScanAudit holds at once; it reads page
// by page so that the callback never runs while a connection is borrowed
// (a callback that itself queries the store cannot starve the pool).
const scanPage = 256

// AppendAudit implements store.Audit in one IMMEDIATE transaction: the
// continuity check and the inserts cannot interleave with another append.
func (s *Store) AppendAudit(ctx context.Context, recs []store.AuditRecord) (err error) {
	if len(recs) == 0 {
		return nil
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq != recs[i-1].Seq+1 {
			return fmt.Errorf("sqlite: append audit: record %d has seq %d after %d: %w",
				i, recs[i].Seq, recs[i-1].Seq, store.ErrAuditSeq)
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: append audit: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var last int64
	if err = tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit`).Scan(&last); err != nil {
		return fmt.Errorf("sqlite: append audit: read head: %w", err)
	}
	if recs[0].Seq != last+1 {
		return fmt.Errorf("sqlite: append audit: first seq %d, stored head %d: %w", recs[0].Seq, last, store.ErrAuditSeq)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit (seq, time, action_id, type, body, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("sqlite: append audit: prepare: %w", err)
	}
	defer stmt.Close()
	for i := range recs {
		r := &recs[i]
		if _, err = stmt.ExecContext(ctx, r.Seq, toNanos(r.Time), r.ActionID, r.Type, nonNil(r.Body), r.PrevHash, r.Hash); err != nil {
			return fmt.Errorf("sqlite: append audit seq %d: %w", r.Seq, err)
		}
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: append audit: commit: %w", err)
	}
	return nil
}

const auditColumns = `seq, time, action_id, type, body, prev_hash, hash`

// LastAudit implements store.Audit.
func (s *Store) LastAudit(ctx context.Context) (*store.AuditRecord, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq DESC LIMIT 1`)
	r, err := scanAudit(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: last audit: %w", err)
	}
	return r, nil
}

// ScanAudit implements store.Audit.
func (s *Store) ScanAudit(ctx context.Context, from int64, fn func(*store.AuditRecord) (bool, error)) error {
	next := from
	for {
		page, err := s.auditPage(ctx, next)
		if err != nil {
			return err
		}
		for _, r := range page {
			more, err := fn(r)
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
			next = r.Seq + 1
		}
		if len(page) < scanPage {
			return nil
		}
	}
}

func (s *Store) auditPage(ctx context.Context, from int64) ([]*store.AuditRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?`,
		from, scanPage)
	if err != nil {
		return nil, fmt.Errorf("sqlite: scan audit from %d: %w", from, err)
	}
	defer rows.Close()
	page := make([]*store.AuditRecord, 0, scanPage)
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: scan audit: %w", err)
		}
		page = append(page, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: scan audit: %w", err)
	}
	return page, nil
}

func scanAudit(row scanner) (*store.AuditRecord, error) {
	var (
		r  store.AuditRecord
		ts int64
	)
	if err := row.Scan(&r.Seq, &ts, &r.ActionID, &r.Type, &r.Body, &r.PrevHash, &r.Hash); err != nil {
		return nil, err
	}
	r.Time = fromNanos(ts)
	return &r, nil
}
