package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

const (
	auditorToken = "auditor-secret-token"
	adminToken   = "admin-secret-token"
)

// auditReaders adds an auditor and an admin to the test config.
func auditReaders() string {
	return `  - id: audra
    kind: human
    token_sha256: ` + hashToken(auditorToken) + `
    roles: [auditor]
  - id: adam
    kind: human
    token_sha256: ` + hashToken(adminToken) + `
    roles: [admin]
`
}

type bearerCreds string

func (b bearerCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearerCreds) RequireTransportSecurity() bool { return false }

// auditClient is an AuditService client carrying token on unary and
// streaming calls alike.
func (e *env) auditClient(token string) airlockv1.AuditServiceClient {
	e.t.Helper()
	c, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(bearerCreds(token)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return airlockv1.NewAuditServiceClient(c)
}

// queryAll pages through QueryEvents with page size n.
func queryAll(t *testing.T, c airlockv1.AuditServiceClient, req *airlockv1.QueryEventsRequest) []*airlockv1.AuditEvent {
	t.Helper()
	var out []*airlockv1.AuditEvent
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
		resp, err := c.QueryEvents(context.Background(), req)
		if err != nil {
			t.Fatalf("query %v: %v", req, err)
		}
		out = append(out, resp.GetEvents()...)
		if resp.GetNextPageToken() == "" {
			return out
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

func field(ev *airlockv1.AuditEvent, k string) string {
	return ev.GetEvent().GetFields()[k].GetStringValue()
}

// auditScenario makes real events: an allowed write, two denials (dev and
// prod), an escalation that bob approves, and a request refused as input.
type auditScenario struct {
	write, denyDev, denyProd, escalated, refused string
}

const secretContent = "CONTENT-THAT-MUST-NOT-BE-AUDITED-7f3a"

func runAuditScenario(t *testing.T, e *env) auditScenario {
	t.Helper()
	var s auditScenario
	rec, err := e.submit("dev", writeA("src/audited.go", "package app // "+secretContent+"\n"))
	if err != nil || rec.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("write: %v %v", rec.GetStatus(), err)
	}
	s.write = rec.GetActionId()
	rec, err = e.submit("dev", readA(".env"))
	if err != nil || rec.GetDecision().GetEffect() != airlockv1.Effect_EFFECT_DENY {
		t.Fatalf("read .env: %v %v", rec, err)
	}
	s.denyDev = rec.GetActionId()
	rec, err = e.submit("prod", writeA("README.md", "# "+secretContent+"\n"))
	if err != nil || rec.GetDecision().GetEffect() != airlockv1.Effect_EFFECT_DENY {
		t.Fatalf("prod write: %v %v", rec, err)
	}
	s.denyProd = rec.GetActionId()
	rec, err = e.submit("dev", editA("deploy/service.yaml", "3", "5"))
	if err != nil || rec.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL {
		t.Fatalf("escalate: %v %v", rec, err)
	}
	s.escalated = rec.GetActionId()
	if a, err := e.approve(bobToken, s.escalated, "ok"); err != nil || a.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("approve: %v %v", a, err)
	}
	_, err = e.submit("dev", readA("../outside.txt"))
	if code, _, meta := errInfo(t, err); code != codes.InvalidArgument || meta["action_id"] == "" {
		t.Fatalf("escape: %v %v", err, meta)
	}
	_, _, meta := errInfo(t, err)
	s.refused = meta["action_id"]
	return s
}

// TestAuditQuery filters and pages over events made by real Submits and
// votes.
func TestAuditQuery(t *testing.T) {
	e := startEnv(t, envOpts{principals: auditReaders()})
	start := time.Now()
	s := runAuditScenario(t, e)
	c := e.auditClient(auditorToken)

	all := queryAll(t, c, &airlockv1.QueryEventsRequest{})
	if len(all) < 9 {
		t.Fatalf("%d events, want at least 9", len(all))
	}
	for i, ev := range all {
		if ev.GetSeq() != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.GetSeq())
		}
		if i > 0 && ev.GetPrevHash() != all[i-1].GetHash() {
			t.Errorf("seq %d prev_hash does not chain to seq %d", ev.GetSeq(), i)
		}
		if field(ev, "type") != ev.GetType() || int64(ev.GetEvent().GetFields()["seq"].GetNumberValue()) != ev.GetSeq() {
			t.Errorf("seq %d: body %v disagrees with the columns", ev.GetSeq(), ev.GetEvent())
		}
		raw, _ := protojson.Marshal(ev)
		if strings.Contains(string(raw), secretContent) {
			t.Errorf("seq %d carries file content: %s", ev.GetSeq(), raw)
		}
		for _, tok := range []string{agentToken, bobToken, hashToken(agentToken)} {
			if strings.Contains(string(raw), tok) {
				t.Errorf("seq %d carries a token", ev.GetSeq())
			}
		}
	}

	types := func(evs []*airlockv1.AuditEvent) []string {
		var out []string
		for _, ev := range evs {
			out = append(out, ev.GetType())
		}
		return out
	}
	cases := []struct {
		name  string
		req   *airlockv1.QueryEventsRequest
		types []string
		check func(t *testing.T, ev *airlockv1.AuditEvent)
	}{
		{name: "by action", req: &airlockv1.QueryEventsRequest{ActionId: s.write},
			types: []string{"action.decided", "action.executed"},
			check: func(t *testing.T, ev *airlockv1.AuditEvent) {
				if field(ev, "principal") != "agent-1" || field(ev, "workspace") != "dev" || field(ev, "kind") != "write_file" {
					t.Errorf("event %v", ev.GetEvent())
				}
			}},
		{name: "deny effect", req: &airlockv1.QueryEventsRequest{Effect: "deny"},
			types: []string{"action.decided", "action.decided"},
			check: func(t *testing.T, ev *airlockv1.AuditEvent) {
				if ev.GetActionId() != s.denyDev && ev.GetActionId() != s.denyProd {
					t.Errorf("unexpected action %s", ev.GetActionId())
				}
				if len(ev.GetEvent().GetFields()["reasons"].GetListValue().GetValues()) == 0 {
					t.Errorf("a denial without reasons: %v", ev.GetEvent())
				}
			}},
		{name: "prod workspace", req: &airlockv1.QueryEventsRequest{Workspace: "prod"},
			types: []string{"action.decided"},
			check: func(t *testing.T, ev *airlockv1.AuditEvent) {
				if ev.GetActionId() != s.denyProd {
					t.Errorf("action %s", ev.GetActionId())
				}
			}},
		{name: "voter bob", req: &airlockv1.QueryEventsRequest{Principal: "bob"},
			types: []string{"approval.voted", "approval.approved"},
			check: func(t *testing.T, ev *airlockv1.AuditEvent) {
				if ev.GetActionId() != s.escalated || field(ev, "voter") != "bob" {
					t.Errorf("event %v", ev.GetEvent())
				}
			}},
		{name: "escalated action, whole story", req: &airlockv1.QueryEventsRequest{ActionId: s.escalated},
			types: []string{"action.decided", "approval.voted", "approval.approved", "action.executed"}},
		{name: "refused input by type", req: &airlockv1.QueryEventsRequest{Type: "action.rejected_input"},
			types: []string{"action.rejected_input"},
			check: func(t *testing.T, ev *airlockv1.AuditEvent) {
				if ev.GetActionId() != s.refused || field(ev, "error_reason") != "WORKSPACE_ESCAPE" {
					t.Errorf("event %v", ev.GetEvent())
				}
			}},
		// The approved execution carries the effect of the policy's
		// re-check, which escalates again (the approval is what let it run).
		{name: "kind and effect together", req: &airlockv1.QueryEventsRequest{Kind: "edit_file", Effect: "escalate"},
			types: []string{"action.decided", "action.executed"}},
		{name: "since the future", req: &airlockv1.QueryEventsRequest{Since: timestamppb.New(time.Now().Add(time.Hour))}},
		{name: "until before the start", req: &airlockv1.QueryEventsRequest{Until: timestamppb.New(start.Add(-time.Hour))}},
		{name: "unknown principal", req: &airlockv1.QueryEventsRequest{Principal: "mallory"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := queryAll(t, c, tc.req)
			if strings.Join(types(got), " ") != strings.Join(tc.types, " ") {
				t.Fatalf("types = %v, want %v", types(got), tc.types)
			}
			for _, ev := range got {
				if tc.check != nil {
					tc.check(t, ev)
				}
			}
		})
	}

	t.Run("pages of two give the same events", func(t *testing.T) {
		var pages int
		req := &airlockv1.QueryEventsRequest{PageSize: 2}
		var got []*airlockv1.AuditEvent
		for {
			resp, err := c.QueryEvents(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(resp.GetEvents()) > 2 {
				t.Fatalf("page of %d", len(resp.GetEvents()))
			}
			got = append(got, resp.GetEvents()...)
			if resp.GetNextPageToken() == "" {
				break
			}
			req.PageToken = resp.GetNextPageToken()
		}
		if len(got) != len(all) || got[len(got)-1].GetHash() != all[len(all)-1].GetHash() || pages < len(all)/2 {
			t.Fatalf("%d events in %d pages, want %d", len(got), pages, len(all))
		}
	})
	for _, tc := range []struct {
		name string
		req  *airlockv1.QueryEventsRequest
	}{
		{"forged page token", &airlockv1.QueryEventsRequest{PageToken: "-5"}},
		{"non-numeric page token", &airlockv1.QueryEventsRequest{PageToken: "' OR 1=1"}},
		{"page too large", &airlockv1.QueryEventsRequest{PageSize: 5000}},
		{"unknown effect", &airlockv1.QueryEventsRequest{Effect: "maybe"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.QueryEvents(context.Background(), tc.req)
			if code, _, _ := errInfo(t, err); code != codes.InvalidArgument {
				t.Fatalf("err = %v, want InvalidArgument", err)
			}
		})
	}
}

// TestAuditVerify: the chain of a real run verifies and its head is the
// newest event's hash; an admin may read too.
func TestAuditVerify(t *testing.T) {
	e := startEnv(t, envOpts{principals: auditReaders()})
	runAuditScenario(t, e)
	for _, tok := range []string{auditorToken, adminToken} {
		c := e.auditClient(tok)
		res, err := c.VerifyChain(context.Background(), &airlockv1.VerifyChainRequest{})
		if err != nil {
			t.Fatal(err)
		}
		all := queryAll(t, c, &airlockv1.QueryEventsRequest{})
		if !res.GetOk() || res.GetRecords() != int64(len(all)) || res.GetHead() != all[len(all)-1].GetHash() {
			t.Fatalf("verify = %v with %d events", res, len(all))
		}
	}
}

// TestAuditPermission: only humans with the auditor or admin role read the
// trail.
func TestAuditPermission(t *testing.T) {
	e := startEnv(t, envOpts{principals: auditReaders()})
	calls := []struct {
		name string
		call func(c airlockv1.AuditServiceClient) error
	}{
		{"query", func(c airlockv1.AuditServiceClient) error {
			_, err := c.QueryEvents(context.Background(), &airlockv1.QueryEventsRequest{})
			return err
		}},
		{"verify", func(c airlockv1.AuditServiceClient) error {
			_, err := c.VerifyChain(context.Background(), &airlockv1.VerifyChainRequest{})
			return err
		}},
		{"follow", func(c airlockv1.AuditServiceClient) error {
			st, err := c.FollowEvents(context.Background(), &airlockv1.FollowEventsRequest{FromSeq: 1})
			if err != nil {
				return err
			}
			_, err = st.Recv()
			return err
		}},
	}
	for _, who := range []struct {
		name, token string
		code        codes.Code
	}{
		{"agent", agentToken, codes.PermissionDenied},
		{"developer", aliceToken, codes.PermissionDenied},
		{"approver without auditor role", bobToken, codes.PermissionDenied},
		{"no token", "", codes.Unauthenticated},
		{"unknown token", "nope", codes.Unauthenticated},
	} {
		for _, call := range calls {
			t.Run(who.name+"/"+call.name, func(t *testing.T) {
				err := call.call(e.auditClient(who.token))
				code, reason, _ := errInfo(t, err)
				if code != who.code {
					t.Fatalf("err = %v, want %v", err, who.code)
				}
				if code == codes.PermissionDenied && reason != "ERROR_REASON_PERMISSION_DENIED" {
					t.Errorf("reason = %q", reason)
				}
			})
		}
	}
}

// TestAuditFollow: a follower from seq 1 gets the history then new events
// as they happen; one from 0 gets only new ones; a refused request (which
// publishes no action change) still arrives through the safety poll.
func TestAuditFollow(t *testing.T) {
	e := startEnv(t, envOpts{principals: auditReaders()})
	c := e.auditClient(auditorToken)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	first, err := e.submit("dev", writeA("src/one.go", "package app\n"))
	if err != nil {
		t.Fatal(err)
	}
	history := queryAll(t, c, &airlockv1.QueryEventsRequest{})
	head := history[len(history)-1].GetSeq()

	// From seq 1: the history, then a new action's events, in order.
	all, err := c.FollowEvents(ctx, &airlockv1.FollowEventsRequest{FromSeq: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range history {
		m, err := all.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if m.GetEvent().GetHash() != history[i].GetHash() {
			t.Fatalf("event %d = seq %d, want seq %d", i, m.GetEvent().GetSeq(), history[i].GetSeq())
		}
	}
	second, err := e.submit("dev", writeA("src/two.go", "package app\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"action.decided", "action.executed"} {
		m, err := all.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if m.GetEvent().GetActionId() != second.GetActionId() || m.GetEvent().GetType() != want {
			t.Fatalf("got %s %s, want %s %s", m.GetEvent().GetActionId(), m.GetEvent().GetType(), second.GetActionId(), want)
		}
	}

	// The safety poll: a refused request is audited without any action
	// change being published.
	_, err = e.submit("dev", readA("../escape"))
	_, _, meta := errInfo(t, err)
	m, err := all.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if m.GetEvent().GetType() != "action.rejected_input" || m.GetEvent().GetActionId() != meta["action_id"] {
		t.Fatalf("got %v, want the refused request %s", m.GetEvent(), meta["action_id"])
	}

	// From 0: nothing already recorded. The server reads the head when the
	// call arrives, which the client cannot observe, so keep acting until
	// the follower sees something; that first event must be new.
	fresh, err := c.FollowEvents(ctx, &airlockv1.FollowEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *airlockv1.AuditEvent, 1)
	go func() {
		m, err := fresh.Recv()
		if err != nil {
			close(got)
			return
		}
		got <- m.GetEvent()
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var ev *airlockv1.AuditEvent
	for ev == nil {
		select {
		case ev = <-got:
			if ev == nil {
				t.Fatal("follow from 0 ended")
			}
		case <-tick.C:
			if _, err := e.submit("dev", readA("src/app.go")); err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			t.Fatal("follow from 0 saw nothing")
		}
	}
	if ev.GetSeq() <= head+3 || ev.GetActionId() == first.GetActionId() || ev.GetActionId() == second.GetActionId() {
		t.Fatalf("follow from 0 replayed an old event: seq %d (%s)", ev.GetSeq(), ev.GetActionId())
	}
}
