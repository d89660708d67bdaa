package server_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/server"
)

const (
	carolToken = "carol-secret-token"
	daveToken  = "dave-secret-token"
	eveToken   = "eve-secret-token"
)

// approvers adds humans to the test config: carol and dave are seniors,
// eve a developer without an approving role; alice (the agent's user) is
// made senior too, so that separation of duties is what stops her in prod.
func approvers() string {
	return `  - id: carol
    kind: human
    token_sha256: ` + hashToken(carolToken) + `
    roles: [senior]
  - id: dave
    kind: human
    token_sha256: ` + hashToken(daveToken) + `
    roles: [senior]
  - id: eve
    kind: human
    token_sha256: ` + hashToken(eveToken) + `
    roles: [developer]
  - id: alice2
    kind: human
    token_sha256: ` + hashToken("alice-senior-token") + `
    roles: [senior]
`
}

func startApprovalEnv(t *testing.T, opts ...server.Option) *env {
	t.Helper()
	e := startEnvWith(t, envOpts{principals: approvers(), onBehalfOf: "alice2"}, opts...)
	return e
}

// pending submits an escalating edit and checks it is pending.
func (e *env) pending(ws, path, old, new string) *airlockv1.ActionRecord {
	e.t.Helper()
	rec, err := e.submit(ws, editA(path, old, new))
	if err != nil {
		e.t.Fatal(err)
	}
	if rec.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL {
		e.t.Fatalf("status = %v (%v), want pending", rec.GetStatus(), rec.GetDecision().GetReasons())
	}
	return rec
}

func (e *env) approve(token, id, comment string) (*airlockv1.Approval, error) {
	conn := e.conn(token)
	defer conn.Close()
	resp, err := airlockv1.NewApprovalServiceClient(conn).Approve(context.Background(), &airlockv1.ApproveRequest{ActionId: id, Comment: comment})
	return resp.GetApproval(), err
}

func (e *env) reject(token, id, comment string) (*airlockv1.Approval, error) {
	conn := e.conn(token)
	defer conn.Close()
	resp, err := airlockv1.NewApprovalServiceClient(conn).Reject(context.Background(), &airlockv1.RejectRequest{ActionId: id, Comment: comment})
	return resp.GetApproval(), err
}

// watch follows an action as the agent and returns the statuses seen until
// the stream ends.
func (e *env) watch(id string) <-chan []airlockv1.ActionStatus {
	out := make(chan []airlockv1.ActionStatus, 1)
	stream, err := e.agent.Agent.WatchAction(context.Background(), &airlockv1.WatchActionRequest{ActionId: id})
	if err != nil {
		e.t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		e.t.Fatal(err)
	}
	go func() {
		seen := []airlockv1.ActionStatus{first.GetAction().GetStatus()}
		for {
			m, err := stream.Recv()
			if err != nil {
				out <- seen
				return
			}
			seen = append(seen, m.GetAction().GetStatus())
		}
	}()
	return out
}

func lastStatus(t *testing.T, ch <-chan []airlockv1.ActionStatus) airlockv1.ActionStatus {
	t.Helper()
	select {
	case seen := <-ch:
		return seen[len(seen)-1]
	case <-time.After(30 * time.Second): // a bound on failure, not synchronisation
		t.Fatal("watch stream did not end")
		return 0
	}
}

// TestApprovalFlow: two seniors approve in prod while the agent waits on
// the stream; the action runs and the agent gets the result.
func TestApprovalFlow(t *testing.T) {
	e := startApprovalEnv(t)
	rec := e.pending("prod", "src/package.json", "{}", `{"name":"x"}`)
	if got := rec.GetDecision().GetApproval().GetApprovals(); got != 2 {
		t.Fatalf("prod escalation needs %d approvals, want 2", got)
	}
	watched := e.watch(rec.GetActionId())

	ap, err := e.approve(bobToken, rec.GetActionId(), "looks fine")
	if err != nil {
		t.Fatal(err)
	}
	if ap.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL || len(ap.GetVotes()) != 1 {
		t.Fatalf("after one of two approvals: %v, %d votes", ap.GetAction().GetStatus(), len(ap.GetVotes()))
	}
	if e.read("src/package.json") != "{}\n" {
		t.Fatal("executed after one approval")
	}
	ap, err = e.approve(carolToken, rec.GetActionId(), "")
	if err != nil {
		t.Fatal(err)
	}
	if ap.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("after two approvals: %v %v", ap.GetAction().GetStatus(), ap.GetAction().GetFailure())
	}
	if got := e.read("src/package.json"); got != "{\"name\":\"x\"}\n" {
		t.Errorf("file = %q", got)
	}
	if got := lastStatus(t, watched); got != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Errorf("agent saw %v at the end", got)
	}
	if _, err := e.approve(daveToken, rec.GetActionId(), ""); err == nil {
		t.Error("a vote after execution was accepted")
	} else if code, reason, _ := errInfo(t, err); code != codes.FailedPrecondition || reason != "ERROR_REASON_NOT_PENDING" {
		t.Errorf("late vote: %v %q", code, reason)
	}
}

func TestRejectEnds(t *testing.T) {
	e := startApprovalEnv(t)
	rec := e.pending("dev", "deploy/service.yaml", "3", "9")
	watched := e.watch(rec.GetActionId())
	if _, err := e.reject(bobToken, rec.GetActionId(), ""); err == nil {
		t.Fatal("rejection without a comment accepted")
	} else if code, reason, _ := errInfo(t, err); code != codes.InvalidArgument {
		t.Errorf("no comment: %v %q", code, reason)
	}
	ap, err := e.reject(bobToken, rec.GetActionId(), "not during the freeze")
	if err != nil {
		t.Fatal(err)
	}
	if ap.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_REJECTED {
		t.Fatalf("status %v", ap.GetAction().GetStatus())
	}
	if got := lastStatus(t, watched); got != airlockv1.ActionStatus_ACTION_STATUS_REJECTED {
		t.Errorf("agent saw %v", got)
	}
	if e.read("deploy/service.yaml") != "replicas: 3\n" {
		t.Error("rejected action executed")
	}
}

// TestWhoMayVote: refusals with clear reasons.
func TestWhoMayVote(t *testing.T) {
	e := startApprovalEnv(t)
	prod := e.pending("prod", "src/package.json", "{}", `{"a":1}`)
	dev := e.pending("dev", "deploy/service.yaml", "3", "4")
	cases := []struct {
		name   string
		token  string
		id     string
		code   codes.Code
		reason string
	}{
		{"the agent itself", agentToken, prod.GetActionId(), codes.PermissionDenied, "ERROR_REASON_PERMISSION_DENIED"},
		// Without a role the escalation names, a human may not even see what
		// would be written.
		{"wrong role", eveToken, prod.GetActionId(), codes.NotFound, "ERROR_REASON_ACTION_NOT_FOUND"},
		{"the person the agent acts for, in prod", "alice-senior-token", prod.GetActionId(), codes.PermissionDenied, "ERROR_REASON_NOT_ELIGIBLE"},
		{"unknown action", bobToken, "act_nope", codes.NotFound, "ERROR_REASON_ACTION_NOT_FOUND"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.approve(tc.token, tc.id, "ok")
			code, reason, _ := errInfo(t, err)
			if code != tc.code || reason != tc.reason {
				t.Errorf("got %v %q, want %v %q (%v)", code, reason, tc.code, tc.reason, err)
			}
		})
	}
	t.Run("the person the agent acts for, in dev", func(t *testing.T) {
		ap, err := e.approve("alice-senior-token", dev.GetActionId(), "fine in dev")
		if err != nil || ap.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
			t.Fatalf("%v %v", ap.GetAction().GetStatus(), err)
		}
	})
	t.Run("same person twice", func(t *testing.T) {
		if _, err := e.approve(bobToken, prod.GetActionId(), "one"); err != nil {
			t.Fatal(err)
		}
		_, err := e.approve(bobToken, prod.GetActionId(), "two")
		if code, reason, _ := errInfo(t, err); code != codes.AlreadyExists || reason != "ERROR_REASON_ALREADY_VOTED" {
			t.Errorf("second vote: %v %q", code, reason)
		}
	})
}

// TestApprovedButStale: the file changed after the request; approval does
// not execute and says so.
func TestApprovedButStale(t *testing.T) {
	e := startApprovalEnv(t)
	rec := e.pending("dev", "deploy/service.yaml", "3", "4")
	if err := os.WriteFile(filepath.Join(e.ws, "deploy/service.yaml"), []byte("replicas: 3\n# hand edit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ap, err := e.approve(bobToken, rec.GetActionId(), "ok")
	if err != nil {
		t.Fatal(err)
	}
	if ap.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_STALE || ap.GetAction().GetFailure() == nil {
		t.Fatalf("status %v failure %v", ap.GetAction().GetStatus(), ap.GetAction().GetFailure())
	}
	if got := e.read("deploy/service.yaml"); got != "replicas: 3\n# hand edit\n" {
		t.Errorf("stale action executed: %q", got)
	}
}

// TestPolicyNowDenies: the policy changed to deny between request and
// approval; the re-check wins.
func TestPolicyNowDenies(t *testing.T) {
	e := startApprovalEnv(t)
	rec := e.pending("dev", "deploy/service.yaml", "3", "4")
	// Scoped to this test's intent so that the example policy's own tests,
	// which a reload runs, still pass.
	freeze := "package airlock\n\ndeny contains {\"rule_id\": \"freeze\", \"message\": \"deploy freeze\"} if {\n\tinput.plan.top_dir == \"deploy\"\n\tinput.request.intent == \"test\"\n}\n"
	if err := os.WriteFile(filepath.Join(e.policyDir, "freeze.rego"), []byte(freeze), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Engine.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	ap, err := e.approve(bobToken, rec.GetActionId(), "ok")
	if err != nil {
		t.Fatal(err)
	}
	if ap.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_DENIED {
		t.Fatalf("status %v", ap.GetAction().GetStatus())
	}
	if e.read("deploy/service.yaml") != "replicas: 3\n" {
		t.Error("executed although the policy now denies")
	}
}

// TestExpiry uses a movable clock: the pending action expires, the agent
// is told, and a late vote is refused.
func TestExpiry(t *testing.T) {
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	e := startApprovalEnv(t, server.WithClock(clock))
	rec := e.pending("dev", "deploy/service.yaml", "3", "4")
	watched := e.watch(rec.GetActionId())
	offset.Store(int64(2 * time.Hour))
	n, err := e.app.Approvals.ExpireDue(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("expired %d: %v", n, err)
	}
	if got := lastStatus(t, watched); got != airlockv1.ActionStatus_ACTION_STATUS_EXPIRED {
		t.Errorf("agent saw %v", got)
	}
	if _, err := e.approve(bobToken, rec.GetActionId(), "late"); err == nil {
		t.Error("late approval accepted")
	}
}

// TestRestartKeepsPending: a pending action survives a restart and runs
// when approved afterwards.
func TestRestartKeepsPending(t *testing.T) {
	e := startApprovalEnv(t)
	rec := e.pending("dev", "deploy/service.yaml", "3", "4")
	e.stop()
	e.start()
	watched := e.watch(rec.GetActionId())
	ap, err := e.approve(bobToken, rec.GetActionId(), "after restart")
	if err != nil || ap.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("%v %v", ap.GetAction().GetStatus(), err)
	}
	if got := lastStatus(t, watched); got != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Errorf("agent saw %v", got)
	}
	if e.read("deploy/service.yaml") != "replicas: 4\n" {
		t.Error("not executed")
	}
}

func TestIdempotentEscalation(t *testing.T) {
	e := startApprovalEnv(t)
	key := func(r *airlockv1.ActionRequest) { r.IdempotencyKey = "esc-1" }
	a, err := e.submit("dev", editA("deploy/service.yaml", "3", "4"), key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.submit("dev", editA("deploy/service.yaml", "3", "4"), key)
	if err != nil || a.GetActionId() != b.GetActionId() {
		t.Fatalf("retry gave %q (%v), want %q", b.GetActionId(), err, a.GetActionId())
	}
	conn := e.conn(bobToken)
	defer conn.Close()
	list, err := airlockv1.NewApprovalServiceClient(conn).ListPending(context.Background(), &airlockv1.ListPendingRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetApprovals()) != 1 {
		t.Errorf("%d pending, want 1", len(list.GetApprovals()))
	}
	got := list.GetApprovals()[0]
	if got.GetRequested().GetEditFile().GetNewText() != "4" || !got.GetCanVote() || got.GetAction().GetPlan().GetPaths()[0].GetDiff() == "" {
		t.Errorf("approver's view lacks what will run: %v", got)
	}
}

// TestRacingApprovals: many eligible approvers at once; the action runs
// exactly once.
func TestRacingApprovals(t *testing.T) {
	var extra string
	tokens := make([]string, 12)
	for i := range tokens {
		tokens[i] = "racer-token-" + string(rune('a'+i))
		extra += "  - id: racer" + string(rune('a'+i)) + "\n    kind: human\n    token_sha256: " + hashToken(tokens[i]) + "\n    roles: [senior]\n"
	}
	e := startEnvWith(t, envOpts{principals: extra})
	rec := e.pending("dev", "deploy/service.yaml", "replicas: 3\n", "replicas: 3\nextra: 1\n")
	var wg sync.WaitGroup
	var succeeded atomic.Int32
	for _, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ap, err := e.approve(tok, rec.GetActionId(), "go")
			if err == nil && ap.GetAction().GetStatus() == airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
				succeeded.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := e.read("deploy/service.yaml"); got != "replicas: 3\nextra: 1\n" {
		t.Errorf("file = %q: executed %s", got, "more than once or not at all")
	}
	if succeeded.Load() < 1 {
		t.Error("no approver saw the outcome")
	}
}
