package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/airlock-dev/airlock/store"
)

// Problems Verify reports.
const (
	// ProblemAltered: a record's hash does not match its prev_hash and
	// body, its body is not an event, or its columns (time, type,
	// action_id) disagree with its body.
	ProblemAltered = "altered"
	// ProblemRemoved: a sequence gap; FirstBad is the first missing seq.
	ProblemRemoved = "removed"
	// ProblemReordered: an intact record sits at a seq other than the one
	// in its body (rows swapped or renumbered).
	ProblemReordered = "reordered"
	// ProblemInserted: an intact record whose prev_hash is not the hash of
	// the record before it: it was forged into the chain, or the record
	// before it was replaced with recomputed hashes.
	ProblemInserted = "inserted"
)

// VerifyResult is the outcome of walking the chain.
type VerifyResult struct {
	// Records is how many records were verified good (all of them when OK).
	Records int64
	// Head is the hash of the last good record (GenesisHash if none).
	Head string
	OK   bool
	// FirstBad is the seq of the first bad record; 0 when OK.
	FirstBad int64
	// Problem is one of the Problem constants; "" when OK.
	Problem string
	// Detail explains the problem for a human.
	Detail string
}

// bodyHead is the part of a body Verify compares with the record's columns.
type bodyHead struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	Type     string    `json:"type"`
	ActionID string    `json:"action_id"`
}

// Verify walks the whole chain from seq 1 and stops at the first bad
// record. The error is for failures to read the store; a broken chain is a
// result with OK false. It cannot see records removed from the end of the
// chain: compare Head with a head known from elsewhere (the logs).
func Verify(ctx context.Context, st store.Audit) (VerifyResult, error) {
	res := VerifyResult{Head: GenesisHash, OK: true}
	want := int64(1)
	fail := func(seq int64, problem, format string, args ...any) (bool, error) {
		res.OK, res.FirstBad, res.Problem, res.Detail = false, seq, problem, fmt.Sprintf(format, args...)
		return false, nil
	}
	err := st.ScanAudit(ctx, 1, func(r *store.AuditRecord) (bool, error) {
		if r.Seq != want {
			if r.Seq > want {
				return fail(want, ProblemRemoved, "records %d..%d are missing", want, r.Seq-1)
			}
			return fail(r.Seq, ProblemReordered, "seq %d follows seq %d", r.Seq, want-1)
		}
		if Hash(r.PrevHash, r.Body) != r.Hash {
			return fail(r.Seq, ProblemAltered, "seq %d: hash does not match its prev_hash and body", r.Seq)
		}
		var b bodyHead
		if err := json.Unmarshal(r.Body, &b); err != nil {
			return fail(r.Seq, ProblemAltered, "seq %d: body is not an event: %v", r.Seq, err)
		}
		if b.Seq != r.Seq {
			return fail(r.Seq, ProblemReordered, "seq %d holds the record written as seq %d", r.Seq, b.Seq)
		}
		if !b.Time.Equal(r.Time) || b.Type != r.Type || b.ActionID != r.ActionID {
			return fail(r.Seq, ProblemAltered, "seq %d: time, type or action_id columns differ from the body", r.Seq)
		}
		if r.PrevHash != res.Head {
			return fail(r.Seq, ProblemInserted, "seq %d: prev_hash does not match the hash of seq %d", r.Seq, r.Seq-1)
		}
		res.Records++
		res.Head = r.Hash
		want++
		return true, nil
	})
	if err != nil {
		return VerifyResult{}, fmt.Errorf("audit: verify: %w", err)
	}
	return res, nil
}
