package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	client "github.com/airlock-dev/airlock/clients/go"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

const (
	crashAgents = 16
	// crashLoad bounds the load; the kill comes half-way.
	crashLoad   = 2 * time.Second
	crashKillAt = time.Second
)

// TestCrashDurability kills the server with SIGKILL under load and restarts
// it on the same database: every action a client saw succeed is in the
// audit trail with its decision and execution, every action that was
// running is marked interrupted (and audited so), and the chain verifies.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and kills the binary")
	}
	site := newAuditSite(t, buildBinary(t))
	srv := site.serve(t)

	type acked struct {
		key, id string
		g, i    int
	}
	var (
		mu     sync.Mutex
		acks   []acked
		killed atomic.Bool
		wg     sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), crashLoad)
	defer cancel()
	for g := range crashAgents {
		c, err := client.Dial(srv.addr, client.Options{Token: auditAgentToken})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				key := fmt.Sprintf("crash-%02d-%05d", g, i)
				resp, err := c.Agent.Submit(ctx, &airlockv1.SubmitRequest{Request: &airlockv1.ActionRequest{
					Workspace: "dev", Intent: "crash load", SessionId: fmt.Sprintf("s%d", g), IdempotencyKey: key,
					Action: writeAction(fmt.Sprintf("src/crash/a%02d-%05d.txt", g, i), "load\n"),
				}})
				if err != nil {
					if !killed.Load() && ctx.Err() == nil {
						t.Errorf("agent %d before the kill: %v", g, err)
					}
					return
				}
				if resp.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
					t.Errorf("agent %d: status %v", g, resp.GetAction().GetStatus())
					return
				}
				mu.Lock()
				acks = append(acks, acked{key: key, id: resp.GetAction().GetActionId(), g: g, i: i})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(crashKillAt) // the load runs meanwhile; this is the kill's timing, not synchronisation
	killed.Store(true)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Wait()
	wg.Wait()
	mu.Lock()
	seen := append([]acked(nil), acks...)
	mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("no action succeeded before the kill: the load never ran")
	}

	srv = site.serve(t)
	ac, err := dialAudit(&humanFlags{addr: srv.addr, token: auditorTokenCLI})
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	qctx, qcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer qcancel()
	types := map[string][]string{}
	var total int
	err = eachEvent(qctx, ac, &airlockv1.QueryEventsRequest{PageSize: 1000}, func(ev *airlockv1.AuditEvent) error {
		total++
		types[ev.GetActionId()] = append(types[ev.GetActionId()], ev.GetType())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Every acknowledged action: decided then executed, nothing else.
	for _, a := range seen {
		if got := strings.Join(types[a.id], " "); got != "action.decided action.executed" {
			t.Errorf("acknowledged %s (%s) has events %q", a.id, a.key, got)
		}
	}
	// The same through the action filter, for a few of them.
	for _, a := range []acked{seen[0], seen[len(seen)/2], seen[len(seen)-1]} {
		resp, err := ac.QueryEvents(qctx, &airlockv1.QueryEventsRequest{ActionId: a.id})
		if err != nil || len(resp.GetEvents()) != 2 {
			t.Errorf("query %s: %v %v", a.id, resp.GetEvents(), err)
		}
	}

	// Actions decided but without a recorded outcome were running at the
	// kill: now interrupted, with an event saying so. One whose outcome was
	// stored just before the kill but not yet audited was never
	// acknowledged; it keeps its stored status.
	agent, err := client.Dial(srv.addr, client.Options{Token: auditAgentToken})
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	var interrupted, unaudited int
	for id, ts := range types {
		got := strings.Join(ts, " ")
		if id == "" || !strings.HasPrefix(got, "action.decided") || strings.Contains(got, "action.executed") || strings.Contains(got, "action.failed") {
			continue
		}
		rec, err := agent.Get(qctx, id)
		if err != nil {
			t.Errorf("get %s: %v", id, err)
			continue
		}
		switch rec.GetStatus() {
		case airlockv1.ActionStatus_ACTION_STATUS_INTERRUPTED:
			interrupted++
			if got != "action.decided action.interrupted" {
				t.Errorf("interrupted %s has events %q", id, got)
			}
		case airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, airlockv1.ActionStatus_ACTION_STATUS_FAILED:
			unaudited++
		default:
			t.Errorf("%s was running at the kill and is now %v", id, rec.GetStatus())
		}
	}
	// Idempotency survives the crash: a retried key answers with the
	// action it named, without running it again.
	retry, err := agent.Agent.Submit(qctx, &airlockv1.SubmitRequest{Request: &airlockv1.ActionRequest{
		Workspace: "dev", Intent: "crash load", SessionId: fmt.Sprintf("s%d", seen[0].g), IdempotencyKey: seen[0].key,
		Action: writeAction(fmt.Sprintf("src/crash/a%02d-%05d.txt", seen[0].g, seen[0].i), "load\n"),
	}})
	if err != nil || retry.GetAction().GetActionId() != seen[0].id {
		t.Errorf("retried key %s: %s, %v; want the original %s", seen[0].key, retry.GetAction().GetActionId(), err, seen[0].id)
	}
	t.Logf("%d acknowledged, %d events, %d interrupted, %d with an unaudited stored outcome", len(seen), total, interrupted, unaudited)

	out, errOut, code := runAirlock(t, site.bin, "audit", "--addr", srv.addr, "--token", auditorTokenCLI, "verify")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("chain OK: %d records", total)) {
		t.Fatalf("verify after the crash: exit %d\n%s%s", code, out, errOut)
	}
}
