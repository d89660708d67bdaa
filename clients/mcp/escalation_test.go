package mcp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/clients/go/clienttest"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// approver acts as bob on the first progress notification of a waiting
// call, and reports what it did.
func approver(t *testing.T, srv *clienttest.Server, s *session, decide func(ctx context.Context, c *client.Client, id string) error) <-chan error {
	t.Helper()
	bob, err := client.Dial(srv.Addr, client.Options{Token: clienttest.BobToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bob.Close() })
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		select {
		case p := <-s.progress:
			id := actionRE.FindString(p.Message)
			if id == "" || !strings.Contains(p.Message, "needs 1 approval with role senior") {
				t.Errorf("progress message = %q", p.Message)
			}
			done <- decide(ctx, bob, id)
		case <-ctx.Done():
			done <- ctx.Err()
		}
	}()
	return done
}

func approve(ctx context.Context, c *client.Client, id string) error {
	_, err := c.Approvals.Approve(ctx, &airlockv1.ApproveRequest{ActionId: id, Comment: "looks right"})
	return err
}

// callWithProgress calls a tool asking for progress notifications.
func callWithProgress(t *testing.T, s *session, name string, args map[string]any) *sdk.CallToolResult {
	t.Helper()
	p := &sdk.CallToolParams{Name: name, Arguments: args}
	p.SetProgressToken("progress-" + name)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := s.CallTool(ctx, p)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// TestEscalationWaitsForApproval: the model's call waits while bob
// approves through the ApprovalService, then returns the executed result.
func TestEscalationWaitsForApproval(t *testing.T) {
	srv := clienttest.Start(t)
	s := connect(t, srv.Addr, "--progress-every", "100ms")
	approved := approver(t, srv, s, approve)
	res := callWithProgress(t, s, "edit_file", map[string]any{
		"path": "deploy/service.yaml", "old_text": "replicas: 3", "new_text": "replicas: 7", "intent": "scale up"})
	if err := <-approved; err != nil {
		t.Fatalf("approve: %v", err)
	}
	// An escalated action's plan reaches the agent redacted (no diff of the
	// old content), approved or not: the result says what happened.
	if res.IsError || !strings.Contains(textOf(res), "Edited deploy/service.yaml") || strings.Contains(textOf(res), "-replicas: 3") {
		t.Fatalf("isError %v:\n%s", res.IsError, textOf(res))
	}
	if got := srv.Read("deploy/service.yaml"); got != "replicas: 7\n" {
		t.Errorf("file = %q", got)
	}
}

// TestEscalationLater: wait=false returns the pending id at once;
// await_approval then waits for bob; approval_status shows the outcome.
func TestEscalationLater(t *testing.T) {
	srv := clienttest.Start(t)
	s := connect(t, srv.Addr, "--progress-every", "100ms")
	res := s.call(t, "write_file", map[string]any{"path": "deploy/later.yaml", "content": "a: 1\n", "wait": false})
	txt := textOf(res)
	id := actionRE.FindString(txt)
	if res.IsError || id == "" || !strings.Contains(txt, "NOT executed yet") || !strings.Contains(txt, "[changes.deploy]") {
		t.Fatalf("isError %v:\n%s", res.IsError, txt)
	}
	if srv.Read("deploy/later.yaml") != "<missing>" {
		t.Fatal("a pending write was executed")
	}
	status := s.call(t, "approval_status", map[string]any{"action_id": id})
	if status.IsError || !strings.Contains(textOf(status), "ESCALATED") {
		t.Fatalf("status before approval:\n%s", textOf(status))
	}
	approved := approver(t, srv, s, approve)
	res = callWithProgress(t, s, "await_approval", map[string]any{"action_id": id})
	if err := <-approved; err != nil {
		t.Fatal(err)
	}
	if res.IsError || !strings.Contains(textOf(res), "Created deploy/later.yaml") {
		t.Fatalf("await:\n%s", textOf(res))
	}
	status = s.call(t, "approval_status", map[string]any{"action_id": id})
	if status.IsError || !strings.Contains(textOf(status), "Created deploy/later.yaml") {
		t.Errorf("status after approval:\n%s", textOf(status))
	}
}

func TestEscalationRejected(t *testing.T) {
	srv := clienttest.Start(t)
	s := connect(t, srv.Addr, "--progress-every", "100ms")
	rejected := approver(t, srv, s, func(ctx context.Context, c *client.Client, id string) error {
		_, err := c.Approvals.Reject(ctx, &airlockv1.RejectRequest{ActionId: id, Comment: "not during the freeze"})
		return err
	})
	res := callWithProgress(t, s, "write_file", map[string]any{"path": "deploy/rejected.yaml", "content": "x\n"})
	if err := <-rejected; err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !strings.Contains(textOf(res), "REJECTED") || !strings.Contains(textOf(res), "not during the freeze") {
		t.Fatalf("isError %v:\n%s", res.IsError, textOf(res))
	}
	if srv.Read("deploy/rejected.yaml") != "<missing>" {
		t.Error("a rejected write was executed")
	}
}

// TestEscalationTimesOut: nobody decides within --await-timeout; the call
// returns the pending id (not success, not a failure) and kept the client
// informed meanwhile.
func TestEscalationTimesOut(t *testing.T) {
	srv := clienttest.Start(t)
	s := connect(t, srv.Addr, "--progress-every", "50ms", "--await-timeout", "600ms")
	res := callWithProgress(t, s, "write_file", map[string]any{"path": "deploy/slow.yaml", "content": "x\n"})
	txt := textOf(res)
	if res.IsError || !strings.Contains(txt, "No decision within") || !strings.Contains(txt, "NOT executed yet") || actionRE.FindString(txt) == "" {
		t.Fatalf("isError %v:\n%s", res.IsError, txt)
	}
	if n := len(s.progress); n < 3 {
		t.Errorf("%d progress notifications in 600ms at a 50ms interval", n)
	}
}
