// Package storetest is the conformance suite every store.Store
// implementation runs: the behaviour the server relies on (idempotency under
// races, compare-and-set status updates, all-or-nothing audit appends that
// continue the sequence, persistence across restarts) is specified here once
// as tests, so that SQLite and PostgreSQL cannot drift apart.
//
// It must never depend on a particular implementation; it sees only the
// store interfaces and the Open function it is given.
package storetest
