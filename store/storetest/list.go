package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/store"
)

func testListActions(t *testing.T, newStorage NewStorage) {
	st := fresh(t, newStorage)
	at := func(created, expires time.Duration) func(*store.Action) {
		return func(a *store.Action) {
			a.CreatedAt, a.UpdatedAt, a.ExpiresAt = base.Add(created), base.Add(created), time.Time{}
			if expires != 0 {
				a.ExpiresAt = base.Add(expires)
			}
		}
	}
	inWorkspace := func(ws string) func(*store.Action) { return func(a *store.Action) { a.Workspace = ws } }
	all := map[string]*store.Action{
		"s1": action("s1", withStatus(store.StatusSucceeded), withPrincipal("agent:bob"), at(0, 30*time.Minute)),
		"p1": action("p1", withStatus(store.StatusPendingApproval), at(time.Second, time.Hour)),
		"p2": action("p2", withStatus(store.StatusPendingApproval), withPrincipal("agent:bob"), inWorkspace("ws2"),
			at(2*time.Second, 2*time.Hour)),
		"r1": action("r1", at(3*time.Second, 0)),
		"x1": action("x1", withStatus(store.StatusExpired), inWorkspace("ws2"), at(4*time.Second, 10*time.Minute)),
	}
	// Inserted out of time order so that insertion order cannot pass for
	// "oldest first".
	for _, id := range []string{"p2", "r1", "x1", "s1", "p1"} {
		mustCreate(t, st, all[id])
	}
	pend := store.StatusPendingApproval
	cases := []struct {
		name    string
		filter  store.ActionFilter
		want    []string
		wantErr bool
	}{
		{name: "no filter, oldest first", want: []string{"s1", "p1", "p2", "r1", "x1"}},
		{name: "pending", filter: store.ActionFilter{Statuses: []store.Status{pend}}, want: []string{"p1", "p2"}},
		{name: "pending or running", filter: store.ActionFilter{Statuses: []store.Status{store.StatusRunning, pend}},
			want: []string{"p1", "p2", "r1"}},
		{name: "status nobody has", filter: store.ActionFilter{Statuses: []store.Status{store.StatusStale}}},
		{name: "workspace", filter: store.ActionFilter{Workspace: "ws2"}, want: []string{"p2", "x1"}},
		{name: "principal", filter: store.ActionFilter{Principal: "agent:alice"}, want: []string{"p1", "r1", "x1"}},
		{name: "principal and workspace", filter: store.ActionFilter{Principal: "agent:bob", Workspace: "ws1"},
			want: []string{"s1"}},
		{name: "created strictly before", filter: store.ActionFilter{CreatedBefore: base.Add(2 * time.Second)},
			want: []string{"s1", "p1"}},
		{name: "expires strictly before, zero expiry never matches",
			filter: store.ActionFilter{ExpiresBefore: base.Add(time.Hour)}, want: []string{"s1", "x1"}},
		{name: "expires before the far future", filter: store.ActionFilter{ExpiresBefore: base.Add(1000 * time.Hour)},
			want: []string{"s1", "p1", "p2", "x1"}},
		{name: "pending and due", filter: store.ActionFilter{Statuses: []store.Status{pend},
			ExpiresBefore: base.Add(90 * time.Minute)}, want: []string{"p1"}},
		{name: "limit keeps the oldest", filter: store.ActionFilter{Limit: 2}, want: []string{"s1", "p1"}},
		{name: "limit with a filter", filter: store.ActionFilter{Principal: "agent:alice", Limit: 1}, want: []string{"p1"}},
		{name: "hostile workspace matches nothing", filter: store.ActionFilter{Workspace: "ws1' OR '1'='1"}},
		{name: "unknown status is an error", filter: store.ActionFilter{Statuses: []store.Status{"pending' OR 1=1 --"}},
			wantErr: true},
		{name: "negative limit is an error", filter: store.ActionFilter{Limit: -1}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.ListActions(t.Context(), tc.filter)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ListActions = %d actions, want an error", len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("ListActions: %v", err)
			}
			ids := make([]string, len(got))
			for i, a := range got {
				ids[i] = a.ID
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Fatalf("ListActions = %v, want %v", ids, tc.want)
			}
			for _, a := range got {
				if d := diffAction(a, all[a.ID]); d != "" {
					t.Errorf("%s: %s", a.ID, d)
				}
			}
		})
	}
}

// testListActionsLimit checks the default and the cap, which needs more
// rows than the cap.
func testListActionsLimit(t *testing.T, newStorage NewStorage) {
	const total = 1001
	st := fresh(t, newStorage)
	for i := range total {
		mustCreate(t, st, action(fmt.Sprintf("a%04d", i), func(a *store.Action) {
			a.CreatedAt = base.Add(time.Duration(i) * time.Millisecond)
		}))
	}
	cases := []struct {
		name  string
		limit int
		want  int
	}{
		{name: "zero means 100", limit: 0, want: 100},
		{name: "exactly the cap", limit: 1000, want: 1000},
		{name: "above the cap is cut", limit: 5000, want: 1000},
		{name: "small", limit: 3, want: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.ListActions(t.Context(), store.ActionFilter{Limit: tc.limit})
			if err != nil {
				t.Fatalf("ListActions: %v", err)
			}
			if len(got) != tc.want {
				t.Fatalf("ListActions(limit %d) = %d actions, want %d", tc.limit, len(got), tc.want)
			}
			if got[0].ID != "a0000" || got[len(got)-1].ID != fmt.Sprintf("a%04d", tc.want-1) {
				t.Errorf("ListActions returned %s..%s, want the oldest", got[0].ID, got[len(got)-1].ID)
			}
		})
	}
}
