package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/store"
)

func testCreateAction(t *testing.T, newStorage NewStorage) {
	cases := []struct {
		name string
		// existing are created first and must succeed.
		existing []*store.Action
		create   *store.Action
		wantErr  error // nil: success; errAny: any error
		// wantSame is the id CreateAction must return with ErrDuplicate.
		wantSame string
	}{
		{name: "round trip keeps every field", create: action("a1", withKey("k1"), func(a *store.Action) {
			a.ExpiresAt = base.Add(time.Hour)
			a.Status = store.StatusPendingApproval
		})},
		{name: "empty request and record", create: action("a1", func(a *store.Action) { a.Request, a.Record = nil, nil })},
		{name: "hostile strings are stored verbatim", create: action("a'; DROP TABLE actions; --", withKey("k\x00\n'\""), withPrincipal("p\u202e"),
			withOwner("o\x00' OR ''='"))},
		{name: "same key same principal is a duplicate", existing: []*store.Action{action("a1", withKey("k"))},
			create: action("a2", withKey("k")), wantErr: store.ErrDuplicate, wantSame: "a1"},
		{name: "same key other principal is new", existing: []*store.Action{action("a1", withKey("k"))},
			create: action("a2", withKey("k"), withPrincipal("agent:bob"))},
		{name: "empty keys never collide", existing: []*store.Action{action("a1"), action("a2")}, create: action("a3")},
		{name: "duplicate id is an error but not ErrDuplicate", existing: []*store.Action{action("a1")},
			create: action("a1"), wantErr: errAny},
		{name: "duplicate id with a fresh key is not ErrDuplicate", existing: []*store.Action{action("a1", withKey("k1"))},
			create: action("a1", withKey("k2")), wantErr: errAny},
		{name: "nil action", create: nil, wantErr: errAny},
		{name: "empty id", create: action(""), wantErr: errAny},
		{name: "unknown status", create: action("a1", withStatus("approved-by-me")), wantErr: errAny},
		{name: "empty status", create: action("a1", withStatus("")), wantErr: errAny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := fresh(t, newStorage)
			for _, e := range tc.existing {
				mustCreate(t, st, e)
			}
			got, err := st.CreateAction(t.Context(), tc.create)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("CreateAction: %v", err)
			case tc.wantErr == errAny:
				if err == nil || errors.Is(err, store.ErrDuplicate) {
					t.Fatalf("CreateAction error = %v, want a non-duplicate error", err)
				}
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("CreateAction error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantSame != "" {
				if got == nil || got.ID != tc.wantSame {
					t.Fatalf("duplicate returned %+v, want existing %q", got, tc.wantSame)
				}
				if d := diffAction(got, findAction(tc.existing, tc.wantSame)); d != "" {
					t.Errorf("existing action returned with duplicate: %s", d)
				}
				if tc.create.ID != tc.wantSame {
					if _, err := st.GetAction(t.Context(), tc.create.ID); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("duplicate inserted anyway: GetAction(%q) error = %v, want ErrNotFound", tc.create.ID, err)
					}
				}
			}
			if tc.wantErr != nil {
				return
			}
			if d := diffAction(got, tc.create); d != "" {
				t.Errorf("CreateAction returned: %s", d)
			}
			read, err := st.GetAction(t.Context(), tc.create.ID)
			if err != nil {
				t.Fatalf("GetAction: %v", err)
			}
			if d := diffAction(read, tc.create); d != "" {
				t.Errorf("GetAction after create: %s", d)
			}
		})
	}
	t.Run("get missing action", func(t *testing.T) {
		st := fresh(t, newStorage)
		if _, err := st.GetAction(t.Context(), "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetAction error = %v, want ErrNotFound", err)
		}
	})
	t.Run("zero times are filled in", func(t *testing.T) {
		st := fresh(t, newStorage)
		before := time.Now()
		got := mustCreate(t, st, action("a1", func(a *store.Action) { a.CreatedAt, a.UpdatedAt = time.Time{}, time.Time{} }))
		read, err := st.GetAction(t.Context(), "a1")
		if err != nil {
			t.Fatalf("GetAction: %v", err)
		}
		for _, a := range []*store.Action{got, read} {
			if a.CreatedAt.Before(before.Add(-time.Minute)) || a.UpdatedAt.IsZero() || !a.ExpiresAt.IsZero() {
				t.Errorf("times = created %v updated %v expires %v, want created ~now, updated set, no expiry",
					a.CreatedAt, a.UpdatedAt, a.ExpiresAt)
			}
		}
	})
}

// errAny marks a case that must fail with some error other than the
// sentinel errors a caller would act on.
var errAny = errors.New("any error")

func findAction(as []*store.Action, id string) *store.Action {
	for _, a := range as {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// testCreateActionRace: many requests with the same idempotency key race;
// exactly one is inserted and every other sees that one.
func testCreateActionRace(t *testing.T, newStorage NewStorage) {
	const n = 32
	st := fresh(t, newStorage)
	type result struct {
		a   *store.Action
		err error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			a, err := st.CreateAction(t.Context(), action(fmt.Sprintf("race-%02d", i), withKey("same")))
			results[i] = result{a, err}
		})
	}
	close(start)
	wg.Wait()
	var winner string
	for i, r := range results {
		if r.err == nil {
			if winner != "" {
				t.Fatalf("two inserts won: %q and %q", winner, r.a.ID)
			}
			winner = r.a.ID
			if want := fmt.Sprintf("race-%02d", i); winner != want {
				t.Errorf("winner returned id %q, want its own %q", winner, want)
			}
		}
	}
	if winner == "" {
		t.Fatal("no insert won")
	}
	for i, r := range results {
		if r.err == nil {
			continue
		}
		if !errors.Is(r.err, store.ErrDuplicate) {
			t.Errorf("goroutine %d: error = %v, want ErrDuplicate", i, r.err)
			continue
		}
		if r.a == nil || r.a.ID != winner {
			t.Errorf("goroutine %d: duplicate returned %+v, want winner %q", i, r.a, winner)
		}
		if _, err := st.GetAction(t.Context(), fmt.Sprintf("race-%02d", i)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("loser race-%02d was stored: GetAction error = %v", i, err)
		}
	}
}

func testUpdateAction(t *testing.T, newStorage NewStorage) {
	later := base.Add(time.Minute)
	cases := []struct {
		name       string
		create     *store.Action // nil: update a missing action
		from       store.Status
		update     *store.Action
		delta      store.SessionDelta
		wantErr    error
		want       *store.Action // stored afterwards
		wantTotals store.SessionTotals
	}{
		{
			name:   "running to succeeded with totals",
			create: action("a1"),
			from:   store.StatusRunning,
			update: &store.Action{Status: store.StatusSucceeded, Record: []byte("done"), UpdatedAt: later},
			delta:  store.SessionDelta{Actions: 1, FilesChanged: 2, LinesChanged: 30},
			want: action("a1", withStatus(store.StatusSucceeded), func(a *store.Action) {
				a.Record, a.UpdatedAt = []byte("done"), later
			}),
			wantTotals: store.SessionTotals{Actions: 1, FilesChanged: 2, LinesChanged: 30},
		},
		{
			name:   "pending to rejected keeps expiry when zero",
			create: action("a1", withStatus(store.StatusPendingApproval), func(a *store.Action) { a.ExpiresAt = base.Add(time.Hour) }),
			from:   store.StatusPendingApproval,
			update: &store.Action{Status: store.StatusRejected, Record: []byte("no"), UpdatedAt: later},
			want: action("a1", withStatus(store.StatusRejected), func(a *store.Action) {
				a.Record, a.UpdatedAt, a.ExpiresAt = []byte("no"), later, base.Add(time.Hour)
			}),
		},
		{
			name:   "running to pending sets expiry",
			create: action("a1"),
			from:   store.StatusRunning,
			update: &store.Action{Status: store.StatusPendingApproval, Record: []byte("wait"), UpdatedAt: later, ExpiresAt: later.Add(time.Hour)},
			want: action("a1", withStatus(store.StatusPendingApproval), func(a *store.Action) {
				a.Record, a.UpdatedAt, a.ExpiresAt = []byte("wait"), later, later.Add(time.Hour)
			}),
		},
		{
			name:    "wrong from status is a conflict and changes nothing",
			create:  action("a1", withStatus(store.StatusSucceeded)),
			from:    store.StatusRunning,
			update:  &store.Action{Status: store.StatusFailed, Record: []byte("x"), UpdatedAt: later},
			delta:   store.SessionDelta{Actions: 1},
			wantErr: store.ErrConflict,
			want:    action("a1", withStatus(store.StatusSucceeded)),
		},
		{
			name:    "missing action",
			from:    store.StatusRunning,
			update:  &store.Action{Status: store.StatusSucceeded},
			delta:   store.SessionDelta{Actions: 1},
			wantErr: store.ErrNotFound,
		},
		{
			name:    "unknown target status",
			create:  action("a1"),
			from:    store.StatusRunning,
			update:  &store.Action{Status: "done-ish", UpdatedAt: later},
			delta:   store.SessionDelta{Actions: 1},
			wantErr: errAny,
			want:    action("a1"),
		},
		{
			name:    "nil update",
			create:  action("a1"),
			from:    store.StatusRunning,
			wantErr: errAny,
			want:    action("a1"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := fresh(t, newStorage)
			id := "a1"
			if tc.create != nil {
				mustCreate(t, st, tc.create)
			}
			err := st.UpdateAction(t.Context(), id, tc.from, tc.update, tc.delta)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("UpdateAction: %v", err)
			case tc.wantErr == errAny && err == nil:
				t.Fatal("UpdateAction succeeded, want an error")
			case tc.wantErr != nil && tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
				t.Fatalf("UpdateAction error = %v, want %v", err, tc.wantErr)
			}
			if tc.want != nil {
				got, err := st.GetAction(t.Context(), id)
				if err != nil {
					t.Fatalf("GetAction: %v", err)
				}
				if d := diffAction(got, tc.want); d != "" {
					t.Errorf("stored action: %s", d)
				}
			}
			totals, err := st.SessionTotals(t.Context(), "agent:alice", "sess1")
			if err != nil {
				t.Fatalf("SessionTotals: %v", err)
			}
			if totals != tc.wantTotals {
				t.Errorf("SessionTotals = %+v, want %+v", totals, tc.wantTotals)
			}
		})
	}
	t.Run("zero UpdatedAt is set to now", func(t *testing.T) {
		st := fresh(t, newStorage)
		mustCreate(t, st, action("a1"))
		if err := st.UpdateAction(t.Context(), "a1", store.StatusRunning, &store.Action{Status: store.StatusFailed}, store.SessionDelta{}); err != nil {
			t.Fatalf("UpdateAction: %v", err)
		}
		got, err := st.GetAction(t.Context(), "a1")
		if err != nil {
			t.Fatalf("GetAction: %v", err)
		}
		if !got.UpdatedAt.After(base) {
			t.Errorf("UpdatedAt = %v, want the current time", got.UpdatedAt)
		}
	})
}

// testUpdateActionRace: many callers move the same action out of running;
// exactly one wins and only its delta is counted.
func testUpdateActionRace(t *testing.T, newStorage NewStorage) {
	const n = 32
	st := fresh(t, newStorage)
	mustCreate(t, st, action("a1"))
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = st.UpdateAction(t.Context(), "a1", store.StatusRunning, &store.Action{
				Status: store.StatusSucceeded, Record: fmt.Appendf(nil, "winner %d", i), UpdatedAt: base.Add(time.Second),
			}, store.SessionDelta{Actions: 1, FilesChanged: 1, LinesChanged: 10})
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("two updates won: %d and %d", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("goroutine %d: error = %v, want ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no update won")
	}
	got, err := st.GetAction(t.Context(), "a1")
	if err != nil {
		t.Fatalf("GetAction: %v", err)
	}
	if want := fmt.Sprintf("winner %d", winner); string(got.Record) != want || got.Status != store.StatusSucceeded {
		t.Errorf("stored status %q record %q, want succeeded %q", got.Status, got.Record, want)
	}
	totals, err := st.SessionTotals(t.Context(), "agent:alice", "sess1")
	if err != nil {
		t.Fatalf("SessionTotals: %v", err)
	}
	if want := (store.SessionTotals{Actions: 1, FilesChanged: 1, LinesChanged: 10}); totals != want {
		t.Errorf("SessionTotals = %+v, want only the winner's delta %+v", totals, want)
	}
}

func testSessionTotals(t *testing.T, newStorage NewStorage) {
	st := fresh(t, newStorage)
	// Three actions: two in alice/sess1, one in bob/sess1 (same session id,
	// different principal: totals must not mix).
	mustCreate(t, st, action("a1"))
	mustCreate(t, st, action("a2"))
	mustCreate(t, st, action("b1", withPrincipal("agent:bob")))
	mustCreate(t, st, action("a3", withSession("sess2")))
	steps := []struct {
		id    string
		delta store.SessionDelta
	}{
		{"a1", store.SessionDelta{Actions: 1, FilesChanged: 1, LinesChanged: 5}},
		{"a2", store.SessionDelta{Actions: 1, FilesChanged: 3, LinesChanged: 7}},
		{"b1", store.SessionDelta{Actions: 1, FilesChanged: 100, LinesChanged: 100}},
		{"a3", store.SessionDelta{}},
	}
	for _, s := range steps {
		if err := st.UpdateAction(t.Context(), s.id, store.StatusRunning, &store.Action{Status: store.StatusSucceeded}, s.delta); err != nil {
			t.Fatalf("UpdateAction(%s): %v", s.id, err)
		}
	}
	cases := []struct {
		name, principal, session string
		want                     store.SessionTotals
	}{
		{"accumulates", "agent:alice", "sess1", store.SessionTotals{Actions: 2, FilesChanged: 4, LinesChanged: 12}},
		{"per principal", "agent:bob", "sess1", store.SessionTotals{Actions: 1, FilesChanged: 100, LinesChanged: 100}},
		{"zero delta leaves zero", "agent:alice", "sess2", store.SessionTotals{}},
		{"unknown session", "agent:alice", "nope", store.SessionTotals{}},
		{"unknown principal", "agent:mallory", "sess1", store.SessionTotals{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.SessionTotals(t.Context(), tc.principal, tc.session)
			if err != nil {
				t.Fatalf("SessionTotals: %v", err)
			}
			if got != tc.want {
				t.Errorf("SessionTotals = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// testMarkInterrupted uses unowned actions, which every owner interrupts;
// testOwner covers actions of several owners.
func testMarkInterrupted(t *testing.T, newStorage NewStorage) {
	st := fresh(t, newStorage)
	initial := []*store.Action{
		action("r1"),
		action("r2", func(a *store.Action) { a.CreatedAt = base.Add(time.Second) }),
		action("p1", withStatus(store.StatusPendingApproval)),
		action("s1", withStatus(store.StatusSucceeded)),
	}
	for _, a := range initial {
		mustCreate(t, st, a)
	}
	var seen []string
	ids, err := st.MarkInterrupted(t.Context(), "replica-a", func(a *store.Action) []byte {
		seen = append(seen, a.ID)
		if a.Status != store.StatusInterrupted {
			t.Errorf("record func got status %q, want interrupted", a.Status)
		}
		return append([]byte("interrupted: "), a.Record...)
	})
	if err != nil {
		t.Fatalf("MarkInterrupted: %v", err)
	}
	if fmt.Sprint(sorted(ids)) != "[r1 r2]" || fmt.Sprint(sorted(seen)) != "[r1 r2]" {
		t.Fatalf("MarkInterrupted ids = %v, record func saw %v, want [r1 r2]", ids, seen)
	}
	want := map[string]struct {
		status store.Status
		record string
	}{
		"r1": {store.StatusInterrupted, "interrupted: record r1"},
		"r2": {store.StatusInterrupted, "interrupted: record r2"},
		"p1": {store.StatusPendingApproval, "record p1"},
		"s1": {store.StatusSucceeded, "record s1"},
	}
	for id, w := range want {
		got, err := st.GetAction(t.Context(), id)
		if err != nil {
			t.Fatalf("GetAction(%s): %v", id, err)
		}
		if got.Status != w.status || string(got.Record) != w.record {
			t.Errorf("%s: status %q record %q, want %q %q", id, got.Status, got.Record, w.status, w.record)
		}
	}
	again, err := st.MarkInterrupted(t.Context(), "replica-a", nil)
	if err != nil || len(again) != 0 {
		t.Errorf("second MarkInterrupted = %v, %v; want none", again, err)
	}
	// A nil record func keeps the stored record.
	mustCreate(t, st, action("r3"))
	if ids, err := st.MarkInterrupted(t.Context(), "replica-a", nil); err != nil || fmt.Sprint(ids) != "[r3]" {
		t.Fatalf("MarkInterrupted(nil) = %v, %v; want [r3]", ids, err)
	}
	got, err := st.GetAction(t.Context(), "r3")
	if err != nil || got.Status != store.StatusInterrupted || string(got.Record) != "record r3" {
		t.Errorf("r3 after MarkInterrupted(nil) = %+v, %v", got, err)
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }
