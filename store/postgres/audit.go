package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-dev/airlock/store"
)

// scanPage bounds how many audit rows ScanAudit holds at once; the callback
// never runs while a connection is borrowed.
const scanPage = 256

// AppendAudit implements store.Audit as one statement. The chain head is a
// one-row table advanced by compare-and-set (UPDATE ... WHERE seq =
// first-1): racing appenders, on any replica, queue on that row's lock and
// every one but the first finds the head moved, inserts nothing and gets
// store.ErrAuditSeq. The seq primary key is a second guard should the head
// ever lag the table.
func (s *Store) AppendAudit(ctx context.Context, recs []store.AuditRecord) error {
	if len(recs) == 0 {
		return nil
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq != recs[i-1].Seq+1 {
			return fmt.Errorf("postgres: append audit: record %d has seq %d after %d: %w",
				i, recs[i].Seq, recs[i-1].Seq, store.ErrAuditSeq)
		}
	}
	n := len(recs)
	var (
		seqs, times                             = make([]int64, n), make([]int64, n)
		actionIDs, types, bodies, prevs, hashes = make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n)
	)
	for i, r := range recs {
		seqs[i], times[i] = r.Seq, toNanos(r.Time)
		actionIDs[i], types[i], bodies[i] = bin(r.ActionID), bin(r.Type), nonNil(r.Body)
		prevs[i], hashes[i] = bin(r.PrevHash), bin(r.Hash)
	}
	first, last := recs[0].Seq, recs[n-1].Seq
	var moved int
	err := s.pool.QueryRow(ctx, `WITH head AS (
			UPDATE audit_head SET seq = $2 WHERE one AND seq = $1 - 1 RETURNING seq
		), ins AS (
			INSERT INTO audit (seq, time, action_id, type, body, prev_hash, hash)
			SELECT * FROM unnest($3::bigint[], $4::bigint[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bytea[], $9::bytea[])
			WHERE EXISTS (SELECT 1 FROM head)
		)
		SELECT count(*) FROM head`,
		first, last, seqs, times, actionIDs, types, bodies, prevs, hashes).Scan(&moved)
	if uniqueViolation(err, "audit_pkey") {
		return fmt.Errorf("postgres: append audit from seq %d: record exists: %w", first, store.ErrAuditSeq)
	}
	if err != nil {
		return fmt.Errorf("postgres: append audit from seq %d: %w", first, err)
	}
	if moved != 1 {
		return fmt.Errorf("postgres: append audit: first seq %d does not follow the stored head: %w", first, store.ErrAuditSeq)
	}
	return nil
}

const auditColumns = `seq, time, action_id, type, body, prev_hash, hash`

// LastAudit implements store.Audit.
func (s *Store) LastAudit(ctx context.Context) (*store.AuditRecord, error) {
	r, err := scanAudit(s.pool.QueryRow(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq DESC LIMIT 1`))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: last audit: %w", err)
	}
	return r, nil
}

// ScanAudit implements store.Audit, page by page.
func (s *Store) ScanAudit(ctx context.Context, from int64, fn func(*store.AuditRecord) (bool, error)) error {
	next := from
	for {
		rows, err := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit WHERE seq >= $1 ORDER BY seq LIMIT $2`,
			next, scanPage)
		if err != nil {
			return fmt.Errorf("postgres: scan audit from %d: %w", next, err)
		}
		page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.AuditRecord, error) { return scanAudit(r) })
		if err != nil {
			return fmt.Errorf("postgres: scan audit from %d: %w", next, err)
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

func scanAudit(row pgx.Row) (*store.AuditRecord, error) {
	var (
		r                         store.AuditRecord
		ts                        int64
		actionID, typ, prev, hash []byte
	)
	if err := row.Scan(&r.Seq, &ts, &actionID, &typ, &r.Body, &prev, &hash); err != nil {
		return nil, err
	}
	r.Time = fromNanos(ts)
	r.ActionID, r.Type, r.PrevHash, r.Hash = string(actionID), string(typ), string(prev), string(hash)
	r.Body = nonNil(r.Body)
	return &r, nil
}
