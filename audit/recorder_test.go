package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/airlock-dev/airlock/audit"
	"github.com/airlock-dev/airlock/store"
)

func newRecorder(t *testing.T, st store.Audit, opts ...audit.Option) (*audit.Recorder, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	r, err := audit.NewRecorder(t.Context(), st, zap.New(core), opts...)
	if err != nil {
		t.Fatalf("NewRecorder: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, logs
}

func sampleEvent(i int) audit.Event {
	return audit.Event{
		Type:           audit.TypeActionDecided,
		ActionID:       fmt.Sprintf("act-%d", i),
		Principal:      "agent:alice",
		PrincipalKind:  "agent",
		OnBehalfOf:     "alice",
		Workspace:      "ws",
		Environment:    "dev",
		SessionID:      "s1",
		Kind:           "write_file",
		Paths:          []string{"src/main.go"},
		Digest:         "sha256:abc",
		Effect:         "escalate",
		Reasons:        []audit.Reason{{RuleID: "prod-writes", Message: "needs review", Effect: "escalate"}},
		PolicyRevision: "rev-7",
		DurationMS:     0.5,
		Result:         map[string]any{"size": 12, "sha256": "ff"},
		Intent:         "fix the build",
		Seq:            999, // ignored: Record assigns seq and time
		Time:           time.Unix(1, 0),
	}
}

func allRecords(t *testing.T, st store.Audit) []*store.AuditRecord {
	t.Helper()
	var out []*store.AuditRecord
	if err := st.ScanAudit(t.Context(), 1, func(r *store.AuditRecord) (bool, error) {
		out = append(out, r)
		return true, nil
	}); err != nil {
		t.Fatalf("ScanAudit: %v", err)
	}
	return out
}

func TestRecordStoresAndLogs(t *testing.T) {
	st, _ := openStore(t)
	clock := time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 7200))
	var tick atomic.Int64
	r, logs := newRecorder(t, st, audit.WithClock(func() time.Time {
		return clock.Add(time.Duration(tick.Add(1)) * time.Microsecond)
	}))
	const n = 5
	for i := range n {
		if err := r.Record(t.Context(), sampleEvent(i)); err != nil {
			t.Fatalf("Record %d: %v", i, err)
		}
	}
	recs := allRecords(t, st)
	if len(recs) != n {
		t.Fatalf("stored %d records, want %d", len(recs), n)
	}
	entries := logs.FilterMessage("audit").All()
	if len(entries) != n {
		t.Fatalf("logged %d audit lines, want %d", len(entries), n)
	}
	prev := audit.GenesisHash
	for i, rec := range recs {
		if rec.Seq != int64(i+1) || rec.PrevHash != prev || rec.Hash != audit.Hash(prev, rec.Body) {
			t.Fatalf("record %d: seq %d prev %s hash %s: not chained from %s", i, rec.Seq, rec.PrevHash, rec.Hash, prev)
		}
		prev = rec.Hash
		var body map[string]any
		if err := json.Unmarshal(rec.Body, &body); err != nil {
			t.Fatalf("record %d body: %v", i, err)
		}
		log := entries[i].ContextMap()
		wantTime := rec.Time.UTC().Format(time.RFC3339Nano)
		checks := []struct {
			name      string
			got, want any
		}{
			{"body seq", body["seq"], float64(i + 1)},
			{"body time", body["time"], wantTime},
			{"body time is UTC", rec.Time.Location(), time.UTC},
			{"body type", body["type"], "action.decided"},
			{"body action_id", body["action_id"], rec.ActionID},
			{"body intent", body["intent"], "fix the build"},
			{"body reasons", fmt.Sprint(body["reasons"]), "[map[effect:escalate message:needs review rule_id:prod-writes]]"},
			{"body result", fmt.Sprint(body["result"]), "map[sha256:ff size:12]"},
			{"body omits empty", body["error_reason"], nil},
			{"log seq", log["seq"], int64(i + 1)},
			{"log time", log["time"], wantTime},
			{"log type", log["type"], "action.decided"},
			{"log action_id", log["action_id"], fmt.Sprintf("act-%d", i)},
			{"log principal", log["principal"], "agent:alice"},
			{"log on_behalf_of", log["on_behalf_of"], "alice"},
			{"log paths", fmt.Sprint(log["paths"]), "[src/main.go]"},
			{"log effect", log["effect"], "escalate"},
			{"log reasons", fmt.Sprint(log["reasons"]), "[map[effect:escalate message:needs review rule_id:prod-writes]]"},
			{"log policy_revision", log["policy_revision"], "rev-7"},
			{"log duration_ms", log["duration_ms"], 0.5},
			{"log hash", log["hash"], rec.Hash},
			{"log omits empty", log["error_reason"], nil},
		}
		for _, c := range checks {
			if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
				t.Errorf("record %d %s = %v, want %v", i+1, c.name, c.got, c.want)
			}
		}
	}
	if seq, hash := r.Head(); seq != n || hash != prev {
		t.Errorf("Head = %d %s, want %d %s", seq, hash, n, prev)
	}
	res, err := audit.Verify(t.Context(), st)
	if err != nil || !res.OK || res.Records != n || res.Head != prev {
		t.Fatalf("Verify = %+v, %v; want OK with %d records", res, err, n)
	}
}

// TestRecorderContinuesChain: a new recorder (a restart) chains onto the
// stored head instead of starting over.
func TestRecorderContinuesChain(t *testing.T) {
	st, _ := openStore(t)
	for round := range 3 {
		r, _ := newRecorder(t, st)
		for i := range 4 {
			if err := r.Record(t.Context(), sampleEvent(round*10+i)); err != nil {
				t.Fatalf("round %d Record: %v", round, err)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := r.Record(t.Context(), sampleEvent(0)); !errors.Is(err, audit.ErrClosed) {
			t.Fatalf("Record after Close = %v, want ErrClosed", err)
		}
	}
	res, err := audit.Verify(t.Context(), st)
	if err != nil || !res.OK || res.Records != 12 {
		t.Fatalf("Verify = %+v, %v; want OK with 12 records", res, err)
	}
}

// TestTwoRecordersShareAStore: two recorders on one store (two replicas on
// a shared database) interleave; seq conflicts are retried on a fresh head.
func TestTwoRecordersShareAStore(t *testing.T) {
	st, _ := openStore(t)
	a, _ := newRecorder(t, st)
	b, _ := newRecorder(t, st)
	for i := range 10 {
		r := a
		if i%2 == 1 {
			r = b
		}
		if err := r.Record(t.Context(), sampleEvent(i)); err != nil {
			t.Fatalf("Record %d: %v", i, err)
		}
	}
	res, err := audit.Verify(t.Context(), st)
	if err != nil || !res.OK || res.Records != 10 {
		t.Fatalf("Verify = %+v, %v; want OK with 10 records", res, err)
	}
}

// flaky fails AppendAudit while failing is set.
type flaky struct {
	store.Audit
	failing atomic.Bool
	calls   atomic.Int64
}

var errDisk = errors.New("disk on fire")

func (f *flaky) AppendAudit(ctx context.Context, recs []store.AuditRecord) error {
	f.calls.Add(1)
	if f.failing.Load() {
		return errDisk
	}
	return f.Audit.AppendAudit(ctx, recs)
}

func TestRecordFailsClosed(t *testing.T) {
	st, _ := openStore(t)
	f := &flaky{Audit: st}
	r, logs := newRecorder(t, f)
	if err := r.Record(t.Context(), sampleEvent(1)); err != nil {
		t.Fatalf("Record: %v", err)
	}
	seq0, hash0 := r.Head()

	f.failing.Store(true)
	err := r.Record(t.Context(), sampleEvent(2))
	if !errors.Is(err, errDisk) {
		t.Fatalf("Record with failing store = %v, want errDisk", err)
	}
	if seq, hash := r.Head(); seq != seq0 || hash != hash0 {
		t.Errorf("head advanced after failure: %d %s, want %d %s", seq, hash, seq0, hash0)
	}
	if got := logs.FilterMessage("audit not recorded").Len(); got != 1 {
		t.Errorf("%d 'audit not recorded' lines, want 1", got)
	}
	if got := logs.FilterMessage("audit").Len(); got != 1 {
		t.Errorf("%d 'audit' lines, want 1 (the failed event must not be logged as recorded)", got)
	}

	f.failing.Store(false)
	if err := r.Record(t.Context(), sampleEvent(3)); err != nil {
		t.Fatalf("Record after recovery: %v", err)
	}
	recs := allRecords(t, st)
	if len(recs) != 2 || recs[1].Seq != 2 || recs[1].ActionID != "act-3" {
		t.Fatalf("stored %d records (last %+v), want 2 with act-3 at seq 2", len(recs), recs[len(recs)-1])
	}
	if res, err := audit.Verify(t.Context(), st); err != nil || !res.OK {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
}

func TestRecordRefusesBadInput(t *testing.T) {
	st, _ := openStore(t)
	r, _ := newRecorder(t, st)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		ev   audit.Event
	}{
		{"no type", t.Context(), audit.Event{ActionID: "a"}},
		{"bad type", t.Context(), audit.Event{Type: "DROP TABLE"}},
		{"infinite duration", t.Context(), audit.Event{Type: audit.TypeActionExecuted, DurationMS: math.Inf(1)}},
		{"cancelled context", cancelled, sampleEvent(1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := r.Record(tc.ctx, tc.ev); err == nil {
				t.Fatal("Record succeeded, want an error")
			}
		})
	}
	if recs := allRecords(t, st); len(recs) != 0 {
		t.Fatalf("refused events stored %d records", len(recs))
	}
}

// TestRecordConcurrent: 64 goroutines record at once; nothing is lost or
// duplicated, the chain verifies, and batching shared transactions.
func TestRecordConcurrent(t *testing.T) {
	const goroutines, each = 64, 20
	st, _ := openStore(t)
	f := &flaky{Audit: st}
	// A batch bound below the number of writers makes batches split.
	r, logs := newRecorder(t, f, audit.WithMaxBatch(16), audit.WithAppendTimeout(time.Minute))
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if err := r.Record(t.Context(), sampleEvent(g*1000+i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Record: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	res, err := audit.Verify(t.Context(), st)
	if err != nil || !res.OK || res.Records != goroutines*each {
		t.Fatalf("Verify = %+v, %v; want OK with %d records", res, err, goroutines*each)
	}
	seen := map[string]bool{}
	for _, rec := range allRecords(t, st) {
		if seen[rec.ActionID] {
			t.Fatalf("action %s recorded twice", rec.ActionID)
		}
		seen[rec.ActionID] = true
	}
	for g := range goroutines {
		for i := range each {
			if id := fmt.Sprintf("act-%d", g*1000+i); !seen[id] {
				t.Fatalf("event %s lost", id)
			}
		}
	}
	if got := logs.FilterMessage("audit").Len(); got != goroutines*each {
		t.Errorf("logged %d lines, want %d", got, goroutines*each)
	}
	t.Logf("%d events in %d transactions", goroutines*each, f.calls.Load())
	if f.calls.Load() >= goroutines*each {
		t.Errorf("%d appends for %d events: no group commit", f.calls.Load(), goroutines*each)
	}
}

func TestNullSink(t *testing.T) {
	r, logs := newRecorder(t, nil)
	for i := range 3 {
		if err := r.Record(t.Context(), sampleEvent(i)); err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
	if seq, _ := r.Head(); seq != 3 {
		t.Errorf("Head seq = %d, want 3", seq)
	}
	if got := logs.FilterMessage("audit").Len(); got != 3 {
		t.Errorf("logged %d lines, want 3", got)
	}
}

// TestNewRecorderRefusesMalformedHead: chaining onto a head whose hash is
// not a hash would bury the damage under new, valid-looking records.
func TestNewRecorderRefusesMalformedHead(t *testing.T) {
	cases := []struct {
		name string
		hash string
	}{
		{"empty", ""},
		{"short", "abc"},
		{"upper case", "ABCDEF0000000000000000000000000000000000000000000000000000000000"},
		{"not hex", "zz00000000000000000000000000000000000000000000000000000000000000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := openStore(t)
			if err := st.AppendAudit(t.Context(), []store.AuditRecord{{
				Seq: 1, Time: time.Now(), Type: "action.received", Body: []byte(`{}`), PrevHash: audit.GenesisHash, Hash: tc.hash,
			}}); err != nil {
				t.Fatalf("AppendAudit: %v", err)
			}
			r, err := audit.NewRecorder(t.Context(), st, nil)
			if err == nil {
				_ = r.Close()
				t.Fatal("NewRecorder accepted a malformed chain head")
			}
		})
	}
}
