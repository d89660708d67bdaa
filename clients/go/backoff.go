package client

import (
	"context"
	"math/rand/v2"
	"time"
)

// wait sleeps for the attempt-th backoff (full jitter), or returns ctx's
// error when it ends first. Full jitter spreads clients that failed together
// so they do not return together.
func (b Backoff) wait(ctx context.Context, attempt int) error {
	ceiling := b.Max
	if attempt < 30 {
		if c := b.Base << attempt; c > 0 && c < b.Max {
			ceiling = c
		}
	}
	d := time.Duration(rand.Int64N(int64(ceiling) + 1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
