package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/airlock-dev/airlock/store"
)

// NewStorage makes fresh, empty storage for one test (a file in
// t.TempDir(), a new PostgreSQL schema) and removes it through t.Cleanup.
// It returns open, which opens a new handle on that same storage each time
// it is called: the suite closes a handle and opens another to check that
// data survives a restart. The suite closes every handle it opens.
type NewStorage func(t *testing.T) (open func() (store.Store, error))

// Option declares what an implementation can do beyond the contract that
// every store must meet.
type Option func(*caps)

type caps struct {
	sharedChanges bool
}

// SharedChanges declares that a change made through one handle reaches the
// subscribers of every other handle on the same storage (PostgreSQL's
// LISTEN/NOTIFY). Without it the suite skips that check: an in-process
// broadcaster (SQLite) only tells its own handle's subscribers.
func SharedChanges() Option { return func(c *caps) { c.sharedChanges = true } }

// Run runs the whole suite as subtests of t.
func Run(t *testing.T, newStorage NewStorage, opts ...Option) {
	t.Helper()
	var c caps
	for _, o := range opts {
		o(&c)
	}
	groups := []struct {
		name string
		run  func(t *testing.T, newStorage NewStorage)
	}{
		{"CreateAction", testCreateAction},
		{"CreateActionRace", testCreateActionRace},
		{"UpdateAction", testUpdateAction},
		{"UpdateActionRace", testUpdateActionRace},
		{"SessionTotals", testSessionTotals},
		{"MarkInterrupted", testMarkInterrupted},
		{"Owner", testOwner},
		{"AppendAudit", testAppendAudit},
		{"ScanAudit", testScanAudit},
		{"Persistence", testPersistence},
		{"Ping", testPing},
		{"AddVote", testAddVote},
		{"AddVoteRace", testAddVoteRace},
		{"ListActions", testListActions},
		{"ListActionsLimit", testListActionsLimit},
		{"Subscribe", testSubscribe},
		{"TwoHandles", func(t *testing.T, ns NewStorage) { testTwoHandles(t, ns, c) }},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newStorage) })
	}
}

// fresh opens a new, empty store closed at the end of the test.
func fresh(t *testing.T, newStorage NewStorage) store.Store {
	t.Helper()
	st, _ := openHandle(t, newStorage(t))
	return st
}

// openHandle opens a handle; closeIt closes it once (also run at cleanup),
// so a test can close early to reopen without a double close.
func openHandle(t *testing.T, open func() (store.Store, error)) (st store.Store, closeIt func()) {
	t.Helper()
	st, err := open()
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	var once sync.Once
	closeIt = func() {
		once.Do(func() {
			if err := st.Close(); err != nil {
				t.Errorf("close store: %v", err)
			}
		})
	}
	t.Cleanup(closeIt)
	return st, closeIt
}

func testPing(t *testing.T, newStorage NewStorage) {
	st := fresh(t, newStorage)
	if err := st.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
