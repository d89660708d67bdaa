package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/store"
)

// deliveryWait bounds how long a test waits for an id that must come. It is
// a deadline, not a sleep: a prompt store returns in microseconds.
const deliveryWait = 10 * time.Second

// nextID returns the next id on ch, failing if none comes in time or ch
// closes.
func nextID(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case id, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed, want an id")
		}
		return id
	case <-time.After(deliveryWait):
		t.Fatalf("no id delivered within %v", deliveryWait)
	}
	return ""
}

// expectIDs reads len(want) ids and compares them in order.
func expectIDs(t *testing.T, ch <-chan string, want ...string) {
	t.Helper()
	got := make([]string, 0, len(want))
	for range want {
		got = append(got, nextID(t, ch))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
}

// waitFor reads ids until want, allowing at most limit others first (ids
// committed before Subscribe returned may still be on their way).
func waitFor(t *testing.T, ch <-chan string, want string, limit int) {
	t.Helper()
	for range limit + 1 {
		if nextID(t, ch) == want {
			return
		}
	}
	t.Fatalf("%q not delivered among %d ids", want, limit+1)
}

// expectClosed drains ch until it closes, failing if it stays open.
func expectClosed(t *testing.T, ch <-chan string) {
	t.Helper()
	deadline := time.After(deliveryWait)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("subscription still open %v after it should have ended", deliveryWait)
		}
	}
}

func subscribe(t *testing.T, st store.Store) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	ch, err := st.Subscribe(ctx)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return ch
}

func testSubscribe(t *testing.T, newStorage NewStorage) {
	t.Run("creates, votes, updates and interruptions are published in order", func(t *testing.T) {
		st := fresh(t, newStorage)
		ch := subscribe(t, st)
		mustCreate(t, st, pending("p1"))
		if err := st.AddVote(t.Context(), vote("p1", "human:carol", store.VoteReject, 0)); err != nil {
			t.Fatalf("AddVote: %v", err)
		}
		if err := st.UpdateAction(t.Context(), "p1", store.StatusPendingApproval,
			&store.Action{Status: store.StatusRejected}, store.SessionDelta{}); err != nil {
			t.Fatalf("UpdateAction: %v", err)
		}
		mustCreate(t, st, action("r1"))
		if _, err := st.MarkInterrupted(t.Context(), "replica-a", nil); err != nil {
			t.Fatalf("MarkInterrupted: %v", err)
		}
		expectIDs(t, ch, "p1", "p1", "p1", "r1", "r1")
	})
	t.Run("failed writes publish nothing", func(t *testing.T) {
		st := fresh(t, newStorage)
		ch := subscribe(t, st)
		// Created after subscribing: with asynchronous delivery an earlier
		// write could still arrive after Subscribe returned.
		mustCreate(t, st, action("a1", withKey("k1")))
		expectIDs(t, ch, "a1")
		failures := []struct {
			name string
			do   func() error
		}{
			{"update from the wrong status", func() error {
				return st.UpdateAction(t.Context(), "a1", store.StatusPendingApproval, &store.Action{Status: store.StatusRejected}, store.SessionDelta{})
			}},
			{"update of a missing action", func() error {
				return st.UpdateAction(t.Context(), "nope", store.StatusRunning, &store.Action{Status: store.StatusFailed}, store.SessionDelta{})
			}},
			{"vote on a running action", func() error {
				return st.AddVote(t.Context(), vote("a1", "human:carol", store.VoteApprove, 0))
			}},
			{"duplicate idempotency key", func() error {
				_, err := st.CreateAction(t.Context(), action("a2", withKey("k1")))
				return err
			}},
			{"duplicate id", func() error {
				_, err := st.CreateAction(t.Context(), action("a1"))
				return err
			}},
		}
		for _, f := range failures {
			if err := f.do(); err == nil {
				t.Fatalf("%s succeeded, want an error", f.name)
			}
		}
		// Delivery is in commit order, so the marker comes first only if
		// none of the failures published anything.
		mustCreate(t, st, action("marker"))
		expectIDs(t, ch, "marker")
	})
	t.Run("every subscriber gets every id", func(t *testing.T) {
		st := fresh(t, newStorage)
		ch1, ch2 := subscribe(t, st), subscribe(t, st)
		mustCreate(t, st, action("a1"))
		mustCreate(t, st, action("a2"))
		expectIDs(t, ch1, "a1", "a2")
		expectIDs(t, ch2, "a1", "a2")
	})
	t.Run("cancelled subscription closes its channel", func(t *testing.T) {
		st := fresh(t, newStorage)
		ctx, cancel := context.WithCancel(t.Context())
		ch, err := st.Subscribe(ctx)
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		other := subscribe(t, st)
		cancel()
		expectClosed(t, ch)
		// Writes after the cancellation still work and still reach the
		// remaining subscriber.
		mustCreate(t, st, action("a1"))
		expectIDs(t, other, "a1")
	})
	t.Run("already cancelled context", func(t *testing.T) {
		st := fresh(t, newStorage)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		ch, err := st.Subscribe(ctx)
		if err == nil {
			expectClosed(t, ch)
		}
	})
	t.Run("closing the store ends subscriptions", func(t *testing.T) {
		st, closeIt := openHandle(t, newStorage(t))
		ch := subscribe(t, st)
		closeIt()
		expectClosed(t, ch)
	})
	t.Run("a subscriber that never reads does not block writers", func(t *testing.T) {
		const writes = 400
		st := fresh(t, newStorage)
		stuck := subscribe(t, st)
		done := make(chan error, 1)
		go func() {
			for i := range writes {
				if _, err := st.CreateAction(t.Context(), action(fmt.Sprintf("a%03d", i))); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("CreateAction: %v", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("writers blocked behind a subscriber that does not read")
		}
		// The stuck subscriber got the first ids (it may have lost later
		// ones) and a fresh one still works.
		if id := nextID(t, stuck); id != "a000" {
			t.Errorf("stuck subscriber's first id = %q, want a000", id)
		}
		fresh := subscribe(t, st)
		mustCreate(t, st, action("after"))
		waitFor(t, fresh, "after", writes+1)
	})
}
