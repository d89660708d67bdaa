// Package sqlite is the embedded store.Store: one SQLite file in WAL mode,
// opened with the pure-Go modernc.org/sqlite driver (no cgo).
//
// It owns the schema and its migrations, the durability settings and the
// translation between store types and rows. It must never interpret the
// opaque request and record blobs, never decide policy, and never rewrite or
// delete audit records: the audit table is append-only from this package's
// side, and any other change to it is tampering that audit.Verify reports.
//
// Durability: every write commits with synchronous=FULL, so a transaction
// that returned is on disk even after a power loss (WAL mode with NORMAL
// would only protect against process crashes). Callers rely on this for
// "recorded before executed". All writes go through one connection, because
// SQLite admits one writer at a time and queuing in Go is cheaper and fairer
// than retrying on SQLITE_BUSY; reads use a separate read-only pool so that
// they never wait behind a write.
//
// Changes are broadcast in process only: a subscriber hears about writes
// made through the same *Store, not through another handle or process on
// the same file. That is enough for the single-replica deployments SQLite is
// for; several replicas need PostgreSQL (store/postgres).
//
// Ownership of running actions (store.Action.Owner) follows the PostgreSQL
// store exactly, so that both pass the same conformance suite: the owner
// is written with status running and kept by later statuses, and unowned
// running rows are interrupted by whichever owner starts.
package sqlite
