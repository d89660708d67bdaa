package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// Submit asks for action a in workspace ws to be judged and carried out, and
// returns the record: executed (SUCCEEDED), denied with reasons (DENIED, not
// an error) or waiting for humans (PENDING_APPROVAL, see Await). An error
// means the request was refused before the policy ran, the action was
// allowed but failed (ActionID(err) names it), or the server was not
// reached.
func (c *Client) Submit(ctx context.Context, ws string, a *airlockv1.Action, opts ...Opt) (*airlockv1.ActionRecord, error) {
	cl, err := c.build(ws, a, opts)
	if err != nil {
		return nil, err
	}
	var resp *airlockv1.SubmitResponse
	err = c.retry(ctx, cl.retries, func(ctx context.Context) error {
		var err error
		resp, err = c.Agent.Submit(ctx, &airlockv1.SubmitRequest{Request: cl.req})
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp.GetAction(), nil
}

// Evaluate is Submit's dry run: the decision and plan Submit would get, with
// nothing executed or left pending. Being free of effects, it is retried
// after UNAVAILABLE as Submit would be, without needing a key.
func (c *Client) Evaluate(ctx context.Context, ws string, a *airlockv1.Action, opts ...Opt) (*airlockv1.EvaluateResponse, error) {
	cl, err := c.build(ws, a, opts)
	if err != nil {
		return nil, err
	}
	var resp *airlockv1.EvaluateResponse
	err = c.retry(ctx, cl.retries, func(ctx context.Context) error {
		var err error
		resp, err = c.Agent.Evaluate(ctx, &airlockv1.EvaluateRequest{Request: cl.req})
		return err
	})
	return resp, err
}

// Get returns the current state of one of the caller's actions.
func (c *Client) Get(ctx context.Context, actionID string) (*airlockv1.ActionRecord, error) {
	var resp *airlockv1.GetActionResponse
	err := c.retry(ctx, c.opts.Retries, func(ctx context.Context) error {
		var err error
		resp, err = c.Agent.GetAction(ctx, &airlockv1.GetActionRequest{ActionId: actionID})
		return err
	})
	return resp.GetAction(), err
}

// build applies the options to a fresh request and settles the retry
// policy: retries imply an idempotency key.
func (c *Client) build(ws string, a *airlockv1.Action, opts []Opt) (*call, error) {
	if a == nil {
		return nil, fmt.Errorf("airlock client: no action")
	}
	cl := &call{req: &airlockv1.ActionRequest{Workspace: ws, Action: a}, retries: c.opts.Retries}
	for _, o := range opts {
		o(cl)
	}
	if cl.err != nil {
		return nil, cl.err
	}
	if cl.retries > 0 && cl.req.IdempotencyKey == "" {
		cl.req.IdempotencyKey = NewIdempotencyKey()
	}
	return cl, nil
}

// NewIdempotencyKey returns a random key in the form the API accepts.
func NewIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "al-" + hex.EncodeToString(b[:])
}

// retry runs f, and again after UNAVAILABLE up to n more times, waiting
// with backoff and giving up when ctx ends. Callers pass n > 0 only for
// calls that are safe to repeat.
func (c *Client) retry(ctx context.Context, n int, f func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := f(ctx)
		if err == nil || attempt >= n || status.Code(err) != codes.Unavailable {
			return err
		}
		if werr := c.opts.Backoff.wait(ctx, attempt); werr != nil {
			return err
		}
	}
}
