package mcp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	client "github.com/airlock-dev/airlock/clients/go"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// renderer turns a succeeded record into the text the model reads.
type renderer func(*airlockv1.ActionRecord) *sdk.CallToolResult

// submit sends one action and turns the answer into a tool result,
// waiting for humans when the policy escalated and wait is not false.
func (b *bridge) submit(ctx context.Context, req *sdk.CallToolRequest, a *airlockv1.Action, intent string, wait *bool, r renderer) *sdk.CallToolResult {
	rec, err := b.c.Submit(ctx, b.conf.Workspace, a,
		client.WithIntent(intent), client.WithSession(b.conf.SessionID),
		client.WithLabels(b.conf.Labels), client.WithRetries(b.conf.Retries))
	if err != nil {
		return b.errorResult(err)
	}
	if client.IsPending(rec) {
		if wait != nil && !*wait {
			return pendingResult(rec, "")
		}
		return b.wait(ctx, req, rec, b.conf.AwaitTimeout, r)
	}
	return finalResult(rec, r)
}

// wait follows a pending action until humans decide it or limit passes,
// sending a progress notification at once, on every change, and every
// ProgressEvery in between (when the client asked for progress).
func (b *bridge) wait(ctx context.Context, req *sdk.CallToolRequest, rec *airlockv1.ActionRecord, limit time.Duration, r renderer) *sdk.CallToolResult {
	p := &progress{req: req, id: rec.GetActionId(), need: needs(rec), deadline: time.Now().Add(limit)}
	wctx, cancel := context.WithDeadline(ctx, p.deadline)
	defer cancel()
	p.send(wctx, "waiting for approval")
	stop := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		t := time.NewTicker(b.conf.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				p.send(wctx, "still waiting for approval")
			}
		}
	}()
	final, err := b.c.Follow(wctx, rec.GetActionId(), func(u *airlockv1.ActionRecord) {
		if u.GetStatus() != rec.GetStatus() {
			p.send(wctx, "now "+statusWord(u.GetStatus()))
		}
	})
	close(stop)
	<-ticked
	switch {
	case err == nil:
		return finalResult(final, r)
	case ctx.Err() != nil:
		return toolError(fmt.Sprintf("The call was cancelled while waiting for approval. Action %s is still pending; call await_approval with this action_id to wait again.", rec.GetActionId()))
	case errors.Is(err, context.DeadlineExceeded):
		return pendingResult(rec, fmt.Sprintf("No decision within %s.", limit.Round(time.Second)))
	default:
		res := b.errorResult(err)
		res.Content = append(res.Content, &sdk.TextContent{Text: fmt.Sprintf("Lost track of action %s while waiting for its approval; it may still be pending: call approval_status or await_approval with this action_id.", rec.GetActionId())})
		return res
	}
}

// progress sends notifications for one waiting call, numbered upwards as
// MCP requires.
type progress struct {
	req      *sdk.CallToolRequest
	id, need string
	deadline time.Time
	mu       sync.Mutex
	n        float64
}

func (p *progress) send(ctx context.Context, what string) {
	token := p.req.Params.GetProgressToken()
	if token == nil || p.req.Session == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	left := time.Until(p.deadline).Round(time.Second)
	msg := fmt.Sprintf("%s: action %s needs %s (%s left)", what, p.id, p.need, max(left, 0))
	// A failed notification only means the client went away; the wait
	// itself ends with the call's context.
	_ = p.req.Session.NotifyProgress(ctx, &sdk.ProgressNotificationParams{ProgressToken: token, Progress: p.n, Message: msg})
}

// needs says who must approve, e.g. "1 approval from a human with role
// senior within 1h0m0s".
func needs(rec *airlockv1.ActionRecord) string {
	ap := rec.GetDecision().GetApproval()
	n := ap.GetApprovals()
	if n == 0 {
		n = 1
	}
	s := fmt.Sprintf("%d approval", n)
	if n > 1 {
		s = fmt.Sprintf("%d approvals from distinct humans", n)
	}
	if roles := ap.GetRoles(); len(roles) > 0 {
		s += " with role " + strings.Join(roles, " or ")
	}
	if ttl := ap.GetTtlSeconds(); ttl > 0 {
		s += fmt.Sprintf(", within %s of the request", time.Duration(ttl)*time.Second)
	}
	return s
}
