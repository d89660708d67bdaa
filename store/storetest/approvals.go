package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/store"
)

func pending(id string, mods ...func(*store.Action)) *store.Action {
	return action(id, append([]func(*store.Action){withStatus(store.StatusPendingApproval), func(a *store.Action) {
		a.ExpiresAt = base.Add(time.Hour)
	}}, mods...)...)
}

func vote(actionID, principal string, kind store.VoteKind, at time.Duration) store.Vote {
	return store.Vote{ActionID: actionID, Principal: principal, Kind: kind,
		Comment: "by " + principal, CreatedAt: base.Add(at)}
}

func diffVotes(got, want []store.Vote) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %d votes %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ActionID != w.ActionID || g.Principal != w.Principal || g.Kind != w.Kind || g.Comment != w.Comment ||
			!g.CreatedAt.Equal(w.CreatedAt) || g.CreatedAt.Location() != time.UTC {
			return fmt.Sprintf("vote %d = %+v, want %+v (time in UTC)", i, g, w)
		}
	}
	return ""
}

func testAddVote(t *testing.T, newStorage NewStorage) {
	cases := []struct {
		name     string
		create   *store.Action // nil: vote on a missing action
		existing []store.Vote
		// move, when set, changes the action's status before the vote.
		move      store.Status
		vote      store.Vote
		wantErr   error
		wantVotes []store.Vote
	}{
		{name: "approve on pending", create: pending("a1"),
			vote:      vote("a1", "human:carol", store.VoteApprove, time.Second),
			wantVotes: []store.Vote{vote("a1", "human:carol", store.VoteApprove, time.Second)}},
		{name: "second approver is kept, oldest first", create: pending("a1"),
			existing: []store.Vote{vote("a1", "human:dave", store.VoteReject, 2*time.Second)},
			vote:     vote("a1", "human:carol", store.VoteApprove, time.Second),
			wantVotes: []store.Vote{vote("a1", "human:carol", store.VoteApprove, time.Second),
				vote("a1", "human:dave", store.VoteReject, 2*time.Second)}},
		{name: "same principal twice is a duplicate", create: pending("a1"),
			existing:  []store.Vote{vote("a1", "human:carol", store.VoteApprove, time.Second)},
			vote:      vote("a1", "human:carol", store.VoteReject, 2*time.Second),
			wantErr:   store.ErrDuplicate,
			wantVotes: []store.Vote{vote("a1", "human:carol", store.VoteApprove, time.Second)}},
		{name: "running action is a conflict", create: action("a1"),
			vote: vote("a1", "human:carol", store.VoteApprove, time.Second), wantErr: store.ErrConflict},
		{name: "succeeded action is a conflict", create: action("a1", withStatus(store.StatusSucceeded)),
			vote: vote("a1", "human:carol", store.VoteApprove, time.Second), wantErr: store.ErrConflict},
		{name: "action that left pending is a conflict", create: pending("a1"),
			existing: []store.Vote{vote("a1", "human:dave", store.VoteApprove, time.Second)},
			move:     store.StatusRejected,
			vote:     vote("a1", "human:carol", store.VoteApprove, 2*time.Second), wantErr: store.ErrConflict,
			wantVotes: []store.Vote{vote("a1", "human:dave", store.VoteApprove, time.Second)}},
		{name: "missing action", vote: vote("a1", "human:carol", store.VoteApprove, time.Second),
			wantErr: store.ErrNotFound},
		{name: "hostile strings are stored verbatim", create: pending("a'; DROP TABLE votes; --"),
			vote: store.Vote{ActionID: "a'; DROP TABLE votes; --", Principal: "p\u202e'\"\n", Kind: store.VoteReject,
				Comment: "'); DELETE FROM actions; --\x01", CreatedAt: base},
			wantVotes: []store.Vote{{ActionID: "a'; DROP TABLE votes; --", Principal: "p\u202e'\"\n", Kind: store.VoteReject,
				Comment: "'); DELETE FROM actions; --\x01", CreatedAt: base}}},
		{name: "unknown kind", create: pending("a1"),
			vote: vote("a1", "human:carol", "abstain", time.Second), wantErr: errAny},
		{name: "empty kind", create: pending("a1"),
			vote: vote("a1", "human:carol", "", time.Second), wantErr: errAny},
		{name: "empty principal", create: pending("a1"),
			vote: vote("a1", "", store.VoteApprove, time.Second), wantErr: errAny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := fresh(t, newStorage)
			if tc.create != nil {
				mustCreate(t, st, tc.create)
			}
			for _, v := range tc.existing {
				if err := st.AddVote(t.Context(), v); err != nil {
					t.Fatalf("AddVote(existing %s): %v", v.Principal, err)
				}
			}
			if tc.move != "" {
				if err := st.UpdateAction(t.Context(), tc.create.ID, tc.create.Status,
					&store.Action{Status: tc.move}, store.SessionDelta{}); err != nil {
					t.Fatalf("UpdateAction to %s: %v", tc.move, err)
				}
			}
			err := st.AddVote(t.Context(), tc.vote)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("AddVote: %v", err)
			case tc.wantErr == errAny:
				if err == nil || errors.Is(err, store.ErrDuplicate) || errors.Is(err, store.ErrConflict) {
					t.Fatalf("AddVote error = %v, want a validation error", err)
				}
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("AddVote error = %v, want %v", err, tc.wantErr)
			}
			got, err := st.Votes(t.Context(), tc.vote.ActionID)
			if err != nil {
				t.Fatalf("Votes: %v", err)
			}
			if d := diffVotes(got, tc.wantVotes); d != "" {
				t.Error(d)
			}
		})
	}
	t.Run("zero time is filled in", func(t *testing.T) {
		st := fresh(t, newStorage)
		mustCreate(t, st, pending("a1"))
		before := time.Now()
		if err := st.AddVote(t.Context(), store.Vote{ActionID: "a1", Principal: "human:carol", Kind: store.VoteApprove}); err != nil {
			t.Fatalf("AddVote: %v", err)
		}
		got, err := st.Votes(t.Context(), "a1")
		if err != nil || len(got) != 1 {
			t.Fatalf("Votes = %+v, %v; want one", got, err)
		}
		if got[0].CreatedAt.Before(before.Add(-time.Minute)) || got[0].CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt = %v, want about now in UTC", got[0].CreatedAt)
		}
	})
	t.Run("votes of another action are not listed", func(t *testing.T) {
		st := fresh(t, newStorage)
		mustCreate(t, st, pending("a1"))
		mustCreate(t, st, pending("a2"))
		if err := st.AddVote(t.Context(), vote("a2", "human:carol", store.VoteApprove, 0)); err != nil {
			t.Fatalf("AddVote: %v", err)
		}
		if got, err := st.Votes(t.Context(), "a1"); err != nil || len(got) != 0 {
			t.Errorf("Votes(a1) = %+v, %v; want none", got, err)
		}
	})
}

// testAddVoteRace: many approvers vote at once and every vote is kept; one
// approver voting many times at once is counted once.
func testAddVoteRace(t *testing.T, newStorage NewStorage) {
	const n = 24
	t.Run("many principals all recorded", func(t *testing.T) {
		st := fresh(t, newStorage)
		mustCreate(t, st, pending("a1"))
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = st.AddVote(t.Context(), vote("a1", fmt.Sprintf("human:%02d", i), store.VoteApprove, time.Duration(i)))
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("vote %d: %v", i, err)
			}
		}
		got, err := st.Votes(t.Context(), "a1")
		if err != nil {
			t.Fatalf("Votes: %v", err)
		}
		if len(got) != n {
			t.Fatalf("%d votes stored, want %d", len(got), n)
		}
		for i, v := range got {
			if want := fmt.Sprintf("human:%02d", i); v.Principal != want {
				t.Errorf("vote %d by %q, want %q (oldest first)", i, v.Principal, want)
			}
		}
	})
	t.Run("one principal many times counted once", func(t *testing.T) {
		st := fresh(t, newStorage)
		mustCreate(t, st, pending("a1"))
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = st.AddVote(t.Context(), vote("a1", "human:carol", store.VoteApprove, time.Duration(i)))
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrDuplicate):
				t.Errorf("vote %d: error = %v, want nil or ErrDuplicate", i, err)
			}
		}
		if ok != 1 {
			t.Errorf("%d votes by one principal succeeded, want 1", ok)
		}
		if got, err := st.Votes(t.Context(), "a1"); err != nil || len(got) != 1 {
			t.Errorf("Votes = %d, %v; want 1", len(got), err)
		}
	})
	t.Run("votes racing the decision", func(t *testing.T) {
		// Whatever the interleaving, a vote that returned nil is stored
		// and one that returned ErrConflict is not: the status check and
		// the insert cannot be split by the update.
		st := fresh(t, newStorage)
		mustCreate(t, st, pending("a1"))
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = st.AddVote(t.Context(), vote("a1", fmt.Sprintf("human:%02d", i), store.VoteApprove, time.Duration(i)))
			})
		}
		wg.Go(func() {
			<-start
			if err := st.UpdateAction(t.Context(), "a1", store.StatusPendingApproval,
				&store.Action{Status: store.StatusRejected}, store.SessionDelta{}); err != nil {
				t.Errorf("UpdateAction: %v", err)
			}
		})
		close(start)
		wg.Wait()
		got, err := st.Votes(t.Context(), "a1")
		if err != nil {
			t.Fatalf("Votes: %v", err)
		}
		stored := map[string]bool{}
		for _, v := range got {
			stored[v.Principal] = true
		}
		for i, err := range errs {
			p := fmt.Sprintf("human:%02d", i)
			switch {
			case err == nil && !stored[p]:
				t.Errorf("vote by %s succeeded but is not stored", p)
			case errors.Is(err, store.ErrConflict) && stored[p]:
				t.Errorf("vote by %s returned ErrConflict but is stored", p)
			case err != nil && !errors.Is(err, store.ErrConflict):
				t.Errorf("vote by %s: error = %v, want nil or ErrConflict", p, err)
			}
		}
	})
}
