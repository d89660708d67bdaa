// Package storetest is the conformance suite every store.Store
// implementation runs: the behaviour the server relies on (idempotency under
// races, compare-and-set status updates, votes only on pending actions and
// once per approver, filtered listing, change notification, all-or-nothing
// audit appends that continue the sequence, interrupting only the
// restarting replica's running actions, persistence across restarts,
// and the same guarantees across two live handles on one storage) is
// specified here once as tests, so that SQLite and PostgreSQL cannot drift
// apart.
//
// What only some implementations can do is declared by the caller with an
// Option (SharedChanges); the suite skips those checks otherwise, and never
// lets an implementation skip the rest.
//
// It must never depend on a particular implementation; it sees only the
// store interfaces and the Open function it is given.
package storetest
