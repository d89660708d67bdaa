package storetest

import (
	"fmt"
	"testing"

	"github.com/airlock-dev/airlock/store"
)

// testOwner: the owner is the replica that moved an action to running, and
// a restarting replica interrupts only its own running actions (and
// unowned ones), never those another live replica is executing.
func testOwner(t *testing.T, newStorage NewStorage) {
	t.Run("create stores the owner only with status running", func(t *testing.T) {
		cases := []struct {
			name   string
			create *store.Action
			want   string
		}{
			{name: "running", create: action("a1", withOwner("replica-a")), want: "replica-a"},
			{name: "running unowned", create: action("a1"), want: ""},
			{name: "pending", create: action("a1", withOwner("replica-a"), withStatus(store.StatusPendingApproval)), want: ""},
			{name: "denied", create: action("a1", withOwner("replica-a"), withStatus(store.StatusDenied)), want: ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				st := fresh(t, newStorage)
				got := mustCreate(t, st, tc.create)
				read, err := st.GetAction(t.Context(), "a1")
				if err != nil {
					t.Fatalf("GetAction: %v", err)
				}
				listed, err := st.ListActions(t.Context(), store.ActionFilter{})
				if err != nil || len(listed) != 1 {
					t.Fatalf("ListActions = %v, %v; want one action", listed, err)
				}
				for _, a := range []*store.Action{got, read, listed[0]} {
					if a.Owner != tc.want {
						t.Errorf("Owner = %q, want %q", a.Owner, tc.want)
					}
				}
			})
		}
	})
	t.Run("update to running sets the owner, other statuses keep it", func(t *testing.T) {
		cases := []struct {
			name  string
			steps []step
			want  string
		}{
			{name: "claimed by b", want: "replica-b", steps: []step{{store.StatusPendingApproval, store.StatusRunning, "replica-b"}}},
			{name: "finished keeps the runner", want: "replica-b", steps: []step{
				{store.StatusPendingApproval, store.StatusRunning, "replica-b"},
				{store.StatusRunning, store.StatusSucceeded, "replica-c"}}},
			{name: "claimed without an owner", want: "", steps: []step{{store.StatusPendingApproval, store.StatusRunning, ""}}},
			{name: "rejected never owned", want: "", steps: []step{{store.StatusPendingApproval, store.StatusRejected, "replica-b"}}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				st := fresh(t, newStorage)
				mustCreate(t, st, action("p1", withStatus(store.StatusPendingApproval), withOwner("replica-a")))
				for _, s := range tc.steps {
					if err := st.UpdateAction(t.Context(), "p1", s.from,
						&store.Action{Status: s.to, Owner: s.owner}, store.SessionDelta{}); err != nil {
						t.Fatalf("UpdateAction %s -> %s: %v", s.from, s.to, err)
					}
				}
				got, err := st.GetAction(t.Context(), "p1")
				if err != nil {
					t.Fatalf("GetAction: %v", err)
				}
				if got.Owner != tc.want {
					t.Errorf("Owner = %q, want %q", got.Owner, tc.want)
				}
			})
		}
	})
	t.Run("MarkInterrupted marks only the owner's running actions", func(t *testing.T) {
		st := fresh(t, newStorage)
		for _, a := range []*store.Action{
			action("a1", withOwner("replica-a")),
			action("a2", withOwner("replica-a")),
			action("b1", withOwner("replica-b")),
			action("b2", withOwner("replica-b")),
			action("u1"),
			action("c1", withStatus(store.StatusPendingApproval)),
			action("d1", withOwner("replica-a"), withStatus(store.StatusSucceeded)),
		} {
			mustCreate(t, st, a)
		}
		// c1 was claimed by replica a after an approval.
		if err := st.UpdateAction(t.Context(), "c1", store.StatusPendingApproval,
			&store.Action{Status: store.StatusRunning, Owner: "replica-a"}, store.SessionDelta{}); err != nil {
			t.Fatalf("claim c1: %v", err)
		}
		seen := map[string]string{}
		mark := func(owner string) string {
			t.Helper()
			ids, err := st.MarkInterrupted(t.Context(), owner, func(a *store.Action) []byte {
				seen[a.ID] = a.Owner
				return nil
			})
			if err != nil {
				t.Fatalf("MarkInterrupted(%q): %v", owner, err)
			}
			return fmt.Sprint(sorted(ids))
		}
		// A hostile owner matches itself (nobody) and the unowned action.
		if got := mark("nobody' OR ''='"); got != "[u1]" {
			t.Fatalf("MarkInterrupted(hostile) = %s, want [u1]", got)
		}
		if got := mark("replica-a"); got != "[a1 a2 c1]" {
			t.Fatalf("MarkInterrupted(replica-a) = %s, want [a1 a2 c1]", got)
		}
		for _, id := range []string{"a1", "a2", "c1"} {
			if seen[id] != "replica-a" {
				t.Errorf("record func saw %s owned by %q, want replica-a", id, seen[id])
			}
		}
		want := map[string]struct {
			status store.Status
			owner  string
		}{
			"a1": {store.StatusInterrupted, "replica-a"},
			"a2": {store.StatusInterrupted, "replica-a"},
			"c1": {store.StatusInterrupted, "replica-a"},
			"u1": {store.StatusInterrupted, ""},
			"b1": {store.StatusRunning, "replica-b"},
			"b2": {store.StatusRunning, "replica-b"},
			"d1": {store.StatusSucceeded, ""},
		}
		for id, w := range want {
			got, err := st.GetAction(t.Context(), id)
			if err != nil {
				t.Fatalf("GetAction(%s): %v", id, err)
			}
			if got.Status != w.status || got.Owner != w.owner {
				t.Errorf("%s: status %q owner %q, want %q %q", id, got.Status, got.Owner, w.status, w.owner)
			}
		}
		// Replica b, still live, finishes its action as if nothing happened.
		if err := st.UpdateAction(t.Context(), "b1", store.StatusRunning,
			&store.Action{Status: store.StatusSucceeded}, store.SessionDelta{Actions: 1}); err != nil {
			t.Fatalf("replica b finishing b1 after a restarted: %v", err)
		}
		if got := mark("replica-a"); got != "[]" {
			t.Errorf("second MarkInterrupted(replica-a) = %s, want []", got)
		}
		if got := mark("replica-b"); got != "[b2]" {
			t.Errorf("MarkInterrupted(replica-b) = %s, want [b2]", got)
		}
	})
}

// step is one UpdateAction in a test: from, to, and the owner given.
type step struct {
	from, to store.Status
	owner    string
}
