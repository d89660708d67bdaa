package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/audit"
)

// TestQuery pages through a real chain with filters and a scan bound.
func TestQuery(t *testing.T) {
	st, _ := openStore(t)
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tick := 0
	r, err := audit.NewRecorder(ctx, st, nil, audit.WithClock(func() time.Time { tick++; return base.Add(time.Duration(tick) * time.Second) }))
	if err != nil {
		t.Fatal(err)
	}
	events := []audit.Event{
		{Type: audit.TypeActionDecided, ActionID: "a1", Principal: "agent-1", Workspace: "dev", Kind: "write_file", Effect: "allow"},
		{Type: audit.TypeActionExecuted, ActionID: "a1", Principal: "agent-1", Workspace: "dev", Kind: "write_file"},
		{Type: audit.TypeActionDecided, ActionID: "a2", Principal: "agent-2", Workspace: "prod", Kind: "read_file", Effect: "deny"},
		{Type: audit.TypeActionDecided, ActionID: "a3", Principal: "agent-1", Workspace: "prod", Kind: "edit_file", Effect: "escalate"},
		{Type: audit.TypeApprovalVoted, ActionID: "a3", Principal: "agent-1", Workspace: "prod", Kind: "edit_file", Voter: "bob", Vote: "approve"},
	}
	for _, ev := range events {
		if err := r.Record(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		f    audit.Filter
		want []int64
	}{
		{name: "everything", want: []int64{1, 2, 3, 4, 5}},
		{name: "principal as requester", f: audit.Filter{Principal: "agent-2"}, want: []int64{3}},
		{name: "principal as voter", f: audit.Filter{Principal: "bob"}, want: []int64{5}},
		{name: "workspace and kind", f: audit.Filter{Workspace: "prod", Kind: "edit_file"}, want: []int64{4, 5}},
		{name: "effect", f: audit.Filter{Effect: "deny"}, want: []int64{3}},
		{name: "action", f: audit.Filter{ActionID: "a1"}, want: []int64{1, 2}},
		{name: "type", f: audit.Filter{Type: audit.TypeActionDecided}, want: []int64{1, 3, 4}},
		{name: "time window", f: audit.Filter{Since: base.Add(2 * time.Second), Until: base.Add(4 * time.Second)}, want: []int64{2, 3}},
		{name: "no match", f: audit.Filter{Workspace: "staging"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, lim := range []audit.QueryLimits{{Max: 1000}, {Max: 1}, {Max: 2, MaxScan: 1}} {
				var got []int64
				from, pages := int64(1), 0
				for {
					page, err := audit.Query(ctx, st, from, tc.f, lim)
					if err != nil {
						t.Fatal(err)
					}
					if len(page.Matches) > lim.Max {
						t.Fatalf("%+v: page of %d", lim, len(page.Matches))
					}
					for _, m := range page.Matches {
						if m.Event.Seq != m.Record.Seq {
							t.Fatalf("decoded seq %d for record %d", m.Event.Seq, m.Record.Seq)
						}
						got = append(got, m.Record.Seq)
					}
					if pages++; page.Next == 0 || pages > 10 {
						break
					}
					from = page.Next
				}
				if len(got) != len(tc.want) {
					t.Fatalf("%+v: got %v, want %v", lim, got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Fatalf("%+v: got %v, want %v", lim, got, tc.want)
					}
				}
			}
		})
	}
}
