package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/airlock-dev/airlock/store"
)

// testTwoHandles opens two live handles on the same storage, as two
// replicas (or a restarted process next to an old one) would, and checks
// that the guarantees hold across them, not only within one handle.
func testTwoHandles(t *testing.T, newStorage NewStorage, c caps) {
	open2 := func(t *testing.T) (store.Store, store.Store) {
		open := newStorage(t)
		a, _ := openHandle(t, open)
		b, _ := openHandle(t, open)
		return a, b
	}
	t.Run("writes through one are read through the other", func(t *testing.T) {
		a, b := open2(t)
		mustCreate(t, a, pending("p1"))
		if err := a.AddVote(t.Context(), vote("p1", "human:carol", store.VoteApprove, 0)); err != nil {
			t.Fatalf("AddVote: %v", err)
		}
		got, err := b.GetAction(t.Context(), "p1")
		if err != nil {
			t.Fatalf("GetAction through the other handle: %v", err)
		}
		if d := diffAction(got, pending("p1")); d != "" {
			t.Error(d)
		}
		if err := b.AddVote(t.Context(), vote("p1", "human:carol", store.VoteApprove, 0)); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("second vote through the other handle: error = %v, want ErrDuplicate", err)
		}
	})
	t.Run("one claim wins across handles", func(t *testing.T) {
		a, b := open2(t)
		mustCreate(t, a, action("a1"))
		const n = 8
		errs := make([]error, 2*n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 * n {
			st := []store.Store{a, b}[i%2]
			wg.Go(func() {
				<-start
				errs[i] = st.UpdateAction(t.Context(), "a1", store.StatusRunning,
					&store.Action{Status: store.StatusSucceeded, Record: fmt.Appendf(nil, "winner %d", i)},
					store.SessionDelta{Actions: 1})
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("claim %d: error = %v, want nil or ErrConflict", i, err)
			}
		}
		if won != 1 {
			t.Fatalf("%d claims won, want exactly 1", won)
		}
		if totals, err := b.SessionTotals(t.Context(), "agent:alice", "sess1"); err != nil || totals.Actions != 1 {
			t.Errorf("SessionTotals = %+v, %v; want one action counted", totals, err)
		}
	})
	t.Run("same audit seq from both handles: one gets ErrAuditSeq", func(t *testing.T) {
		a, b := open2(t)
		if err := a.AppendAudit(t.Context(), recs(1, 2)); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, st := range []store.Store{a, b} {
			wg.Go(func() {
				<-start
				errs[i] = st.AppendAudit(t.Context(), recs(3, 4))
			})
		}
		close(start)
		wg.Wait()
		ok, seqErr := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrAuditSeq):
				seqErr++
			default:
				t.Errorf("AppendAudit error = %v, want nil or ErrAuditSeq", err)
			}
		}
		if ok != 1 || seqErr != 1 {
			t.Fatalf("%d appends succeeded and %d got ErrAuditSeq, want 1 and 1", ok, seqErr)
		}
	})
	t.Run("concurrent appenders that retry never fork the chain", func(t *testing.T) {
		a, b := open2(t)
		const perWriter = 25
		var wg sync.WaitGroup
		for w, st := range []store.Store{a, b, a, b} {
			wg.Go(func() {
				for i := range perWriter {
					if err := appendNext(t, st, fmt.Sprintf("w%d-%d", w, i)); err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
				}
			})
		}
		wg.Wait()
		var prev *store.AuditRecord
		n := 0
		err := b.ScanAudit(t.Context(), 1, func(r *store.AuditRecord) (bool, error) {
			n++
			switch {
			case r.Seq != int64(n):
				return false, fmt.Errorf("record %d has seq %d", n, r.Seq)
			case prev == nil && r.PrevHash != "":
				return false, fmt.Errorf("first record has prev hash %q", r.PrevHash)
			case prev != nil && r.PrevHash != prev.Hash:
				return false, fmt.Errorf("seq %d links to %q, but seq %d is %q: the chain forked", r.Seq, r.PrevHash, prev.Seq, prev.Hash)
			}
			prev = r
			return true, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 4*perWriter {
			t.Fatalf("trail has %d records, want %d", n, 4*perWriter)
		}
	})
	t.Run("changes reach the other handle's subscribers", func(t *testing.T) {
		if !c.sharedChanges {
			t.Skip("this store's changes stay within one handle (no storetest.SharedChanges)")
		}
		a, b := open2(t)
		onB, onA := subscribe(t, b), subscribe(t, a)
		mustCreate(t, a, pending("p1"))
		if err := a.AddVote(t.Context(), vote("p1", "human:carol", store.VoteApprove, 0)); err != nil {
			t.Fatalf("AddVote: %v", err)
		}
		if err := b.UpdateAction(t.Context(), "p1", store.StatusPendingApproval,
			&store.Action{Status: store.StatusRejected}, store.SessionDelta{}); err != nil {
			t.Fatalf("UpdateAction: %v", err)
		}
		expectIDs(t, onB, "p1", "p1", "p1")
		expectIDs(t, onA, "p1", "p1", "p1")
	})
}

// appendNext appends one record after the current head, re-reading the
// head and retrying on ErrAuditSeq as the audit recorder does.
func appendNext(t *testing.T, st store.Store, label string) error {
	const maxTries = 1000
	for range maxTries {
		var seq int64 = 1
		prev := ""
		last, err := st.LastAudit(t.Context())
		switch {
		case err == nil:
			seq, prev = last.Seq+1, last.Hash
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("LastAudit: %w", err)
		}
		r := rec(seq)
		r.PrevHash, r.Hash, r.Body = prev, "h-"+label, fmt.Appendf(nil, `{"label":%q}`, label)
		err = st.AppendAudit(t.Context(), []store.AuditRecord{r})
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrAuditSeq) {
			return fmt.Errorf("AppendAudit: %w", err)
		}
	}
	return fmt.Errorf("no append of %s succeeded in %d tries", label, maxTries)
}
