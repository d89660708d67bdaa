package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// Await follows an action until it reaches a final state (succeeded, failed,
// denied, rejected, expired, stale, interrupted) and returns that record. It
// waits as long as ctx allows: give ctx a deadline.
func (c *Client) Await(ctx context.Context, actionID string) (*airlockv1.ActionRecord, error) {
	return c.Follow(ctx, actionID, nil)
}

// Follow is Await that also calls onUpdate (when not nil) with every state
// it sees, the first one included, e.g. to report a vote or to keep a
// caller informed while humans decide.
//
// It streams WatchAction, and re-opens the stream after it breaks
// (UNAVAILABLE, or an end before a final state), with backoff. Against a
// server without WatchAction it polls GetAction every Options.PollInterval.
func (c *Client) Follow(ctx context.Context, actionID string, onUpdate func(*airlockv1.ActionRecord)) (*airlockv1.ActionRecord, error) {
	if onUpdate == nil {
		onUpdate = func(*airlockv1.ActionRecord) {}
	}
	failures := 0
	for {
		rec, progressed, err := c.watchOnce(ctx, actionID, onUpdate)
		if err == nil {
			return rec, nil
		}
		if status.Code(err) == codes.Unimplemented {
			return c.poll(ctx, actionID, onUpdate)
		}
		if err := ctxDone(ctx); err != nil {
			return nil, fmt.Errorf("airlock client: await %s: %w", actionID, err)
		}
		if !errors.Is(err, errStreamEnded) && status.Code(err) != codes.Unavailable {
			return nil, err
		}
		if progressed {
			failures = 0
		}
		if werr := c.opts.Backoff.wait(ctx, failures); werr != nil {
			return nil, fmt.Errorf("airlock client: await %s: %w", actionID, werr)
		}
		failures++
	}
}

// errStreamEnded marks a watch stream that closed before a final state.
var errStreamEnded = errors.New("watch stream ended before a final state")

// watchOnce reads one WatchAction stream. progressed says whether it
// delivered anything, so that a stream that works for a while and then
// breaks does not push the backoff ever higher.
func (c *Client) watchOnce(ctx context.Context, actionID string, onUpdate func(*airlockv1.ActionRecord)) (*airlockv1.ActionRecord, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.Agent.WatchAction(ctx, &airlockv1.WatchActionRequest{ActionId: actionID})
	if err != nil {
		return nil, false, err
	}
	progressed := false
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, progressed, errStreamEnded
		}
		if err != nil {
			return nil, progressed, err
		}
		progressed = true
		rec := resp.GetAction()
		onUpdate(rec)
		if IsFinal(rec.GetStatus()) {
			return rec, true, nil
		}
	}
}

// poll is the fallback for servers without WatchAction.
func (c *Client) poll(ctx context.Context, actionID string, onUpdate func(*airlockv1.ActionRecord)) (*airlockv1.ActionRecord, error) {
	t := time.NewTicker(c.opts.PollInterval)
	defer t.Stop()
	var last airlockv1.ActionStatus
	for first := true; ; first = false {
		rec, err := c.Get(ctx, actionID)
		switch {
		case err == nil:
			if first || rec.GetStatus() != last {
				onUpdate(rec)
			}
			last = rec.GetStatus()
			if IsFinal(last) {
				return rec, nil
			}
		case status.Code(err) != codes.Unavailable:
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("airlock client: await %s: %w", actionID, ctx.Err())
		case <-t.C:
		}
	}
}

// ctxDone is ctx.Err, also when the server ended the call for the deadline
// it was sent an instant before the local timer fired.
func ctxDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}
