package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/store"
)

// rec makes a record; the store does not check hashes, only seq continuity,
// so these are labels that make a misplaced record easy to spot.
func rec(seq int64) store.AuditRecord {
	return store.AuditRecord{
		Seq:      seq,
		Time:     base.Add(time.Duration(seq) * time.Millisecond),
		ActionID: fmt.Sprintf("act-%d", seq),
		Type:     "action.received",
		Body:     fmt.Appendf(nil, `{"seq":%d}`, seq),
		PrevHash: fmt.Sprintf("h%d", seq-1),
		Hash:     fmt.Sprintf("h%d", seq),
	}
}

func recs(from, to int64) []store.AuditRecord {
	var rs []store.AuditRecord
	for s := from; s <= to; s++ {
		rs = append(rs, rec(s))
	}
	return rs
}

func diffAudit(got *store.AuditRecord, want store.AuditRecord) string {
	switch {
	case got == nil:
		return "nil record"
	case got.Seq != want.Seq || got.ActionID != want.ActionID || got.Type != want.Type ||
		got.PrevHash != want.PrevHash || got.Hash != want.Hash || !bytes.Equal(got.Body, want.Body):
		return fmt.Sprintf("got %+v (body %s), want %+v (body %s)", *got, got.Body, want, want.Body)
	case !got.Time.Equal(want.Time) || got.Time.Location() != time.UTC:
		return fmt.Sprintf("time %v, want %v in UTC", got.Time, want.Time)
	}
	return ""
}

func testAppendAudit(t *testing.T, newStorage NewStorage) {
	cases := []struct {
		name     string
		existing []store.AuditRecord
		append   []store.AuditRecord
		wantErr  error
		wantLast int64 // 0: none
	}{
		{name: "first batch starts at 1", append: recs(1, 3), wantLast: 3},
		{name: "continues the head", existing: recs(1, 2), append: recs(3, 5), wantLast: 5},
		{name: "single record", existing: recs(1, 1), append: recs(2, 2), wantLast: 2},
		{name: "empty batch is a no-op", existing: recs(1, 2), wantLast: 2},
		{name: "first seq 0", append: []store.AuditRecord{rec(0), rec(1)}, wantErr: store.ErrAuditSeq},
		{name: "first seq 2 on empty trail", append: recs(2, 3), wantErr: store.ErrAuditSeq},
		{name: "gap after head", existing: recs(1, 2), append: recs(4, 5), wantErr: store.ErrAuditSeq, wantLast: 2},
		{name: "repeats the head", existing: recs(1, 2), append: recs(2, 3), wantErr: store.ErrAuditSeq, wantLast: 2},
		{name: "gap inside batch stores nothing", existing: recs(1, 1),
			append: []store.AuditRecord{rec(2), rec(3), rec(5)}, wantErr: store.ErrAuditSeq, wantLast: 1},
		{name: "repeat inside batch stores nothing", existing: recs(1, 1),
			append: []store.AuditRecord{rec(2), rec(2)}, wantErr: store.ErrAuditSeq, wantLast: 1},
		{name: "descending batch stores nothing",
			append: []store.AuditRecord{rec(1), rec(0)}, wantErr: store.ErrAuditSeq},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := fresh(t, newStorage)
			if err := st.AppendAudit(t.Context(), tc.existing); err != nil {
				t.Fatalf("AppendAudit(existing): %v", err)
			}
			err := st.AppendAudit(t.Context(), tc.append)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("AppendAudit error = %v, want %v", err, tc.wantErr)
			}
			last, err := st.LastAudit(t.Context())
			if tc.wantLast == 0 {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("LastAudit = %+v, %v; want ErrNotFound", last, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LastAudit: %v", err)
			}
			if d := diffAudit(last, rec(tc.wantLast)); d != "" {
				t.Errorf("LastAudit: %s", d)
			}
			n := 0
			if err := st.ScanAudit(t.Context(), 0, func(r *store.AuditRecord) (bool, error) {
				n++
				return true, nil
			}); err != nil {
				t.Fatalf("ScanAudit: %v", err)
			}
			if int64(n) != tc.wantLast {
				t.Errorf("stored %d records, want %d (all or nothing)", n, tc.wantLast)
			}
		})
	}
	t.Run("racing appenders of the same seq: one wins", func(t *testing.T) {
		st := fresh(t, newStorage)
		const n = 8
		errs := make(chan error, n)
		for range n {
			go func() { errs <- st.AppendAudit(t.Context(), recs(1, 3)) }()
		}
		ok := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrAuditSeq):
				t.Errorf("AppendAudit error = %v, want nil or ErrAuditSeq", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d appends of seq 1..3 succeeded, want exactly 1", ok)
		}
	})
}

func testScanAudit(t *testing.T, newStorage NewStorage) {
	st := fresh(t, newStorage)
	// More than one page of any sensible page size.
	const total = 700
	if err := st.AppendAudit(t.Context(), recs(1, total)); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	boom := errors.New("boom")
	cases := []struct {
		name      string
		from      int64
		stopAfter int // 0: never
		failAt    int64
		wantErr   error
		wantFirst int64
		wantCount int
	}{
		{name: "everything from 0", from: 0, wantFirst: 1, wantCount: total},
		{name: "everything from 1", from: 1, wantFirst: 1, wantCount: total},
		{name: "from the middle", from: 300, wantFirst: 300, wantCount: total - 299},
		{name: "from the head", from: total, wantFirst: total, wantCount: 1},
		{name: "past the head", from: total + 1, wantCount: 0},
		{name: "negative from", from: -5, wantFirst: 1, wantCount: total},
		{name: "stop early", from: 10, stopAfter: 3, wantFirst: 10, wantCount: 3},
		{name: "stop at a page boundary", from: 1, stopAfter: 256, wantFirst: 1, wantCount: 256},
		{name: "callback error stops and is returned", from: 1, failAt: 400, wantErr: boom, wantFirst: 1, wantCount: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []int64
			err := st.ScanAudit(t.Context(), tc.from, func(r *store.AuditRecord) (bool, error) {
				got = append(got, r.Seq)
				if d := diffAudit(r, rec(r.Seq)); d != "" {
					t.Errorf("seq %d: %s", r.Seq, d)
				}
				if r.Seq == tc.failAt {
					return false, boom
				}
				return tc.stopAfter == 0 || len(got) < tc.stopAfter, nil
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ScanAudit error = %v, want %v", err, tc.wantErr)
			}
			if len(got) != tc.wantCount {
				t.Fatalf("ScanAudit visited %d records, want %d", len(got), tc.wantCount)
			}
			for i, s := range got {
				if s != tc.wantFirst+int64(i) {
					t.Fatalf("record %d has seq %d, want %d (in order, no gaps)", i, s, tc.wantFirst+int64(i))
				}
			}
		})
	}
	t.Run("callback may use the store", func(t *testing.T) {
		n := 0
		err := st.ScanAudit(t.Context(), 1, func(r *store.AuditRecord) (bool, error) {
			if _, err := st.LastAudit(t.Context()); err != nil {
				return false, err
			}
			n++
			return true, nil
		})
		if err != nil || n != total {
			t.Fatalf("ScanAudit with nested reads: %d records, %v; want %d", n, err, total)
		}
	})
}

// testPersistence closes the store and opens a new handle on the same
// storage: what was committed must all be there.
func testPersistence(t *testing.T, newStorage NewStorage) {
	open := newStorage(t)
	st, closeIt := openHandle(t, open)
	mustCreate(t, st, action("a1", withKey("k1")))
	mustCreate(t, st, action("a2"))
	if err := st.UpdateAction(t.Context(), "a1", store.StatusRunning,
		&store.Action{Status: store.StatusSucceeded, Record: []byte("done"), UpdatedAt: base.Add(time.Hour)},
		store.SessionDelta{Actions: 1, FilesChanged: 2, LinesChanged: 3}); err != nil {
		t.Fatalf("UpdateAction: %v", err)
	}
	if err := st.AppendAudit(t.Context(), recs(1, 4)); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	closeIt()

	st2, _ := openHandle(t, open)
	got, err := st2.GetAction(t.Context(), "a1")
	if err != nil {
		t.Fatalf("GetAction after reopen: %v", err)
	}
	want := action("a1", withKey("k1"), withStatus(store.StatusSucceeded), func(a *store.Action) {
		a.Record, a.UpdatedAt = []byte("done"), base.Add(time.Hour)
	})
	if d := diffAction(got, want); d != "" {
		t.Errorf("a1 after reopen: %s", d)
	}
	if _, err := st2.CreateAction(t.Context(), action("a3", withKey("k1"))); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("idempotency key after reopen: error = %v, want ErrDuplicate", err)
	}
	totals, err := st2.SessionTotals(t.Context(), "agent:alice", "sess1")
	if err != nil || totals != (store.SessionTotals{Actions: 1, FilesChanged: 2, LinesChanged: 3}) {
		t.Errorf("SessionTotals after reopen = %+v, %v", totals, err)
	}
	last, err := st2.LastAudit(t.Context())
	if err != nil {
		t.Fatalf("LastAudit after reopen: %v", err)
	}
	if d := diffAudit(last, rec(4)); d != "" {
		t.Errorf("LastAudit after reopen: %s", d)
	}
	if err := st2.AppendAudit(t.Context(), recs(5, 5)); err != nil {
		t.Errorf("AppendAudit continuing after reopen: %v", err)
	}
	ids, err := st2.MarkInterrupted(t.Context(), "replica-a", nil)
	if err != nil || fmt.Sprint(ids) != "[a2]" {
		t.Errorf("MarkInterrupted after reopen = %v, %v; want [a2]", ids, err)
	}
}
