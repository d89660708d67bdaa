// Package postgres is the store.Store for several replicas sharing one
// PostgreSQL database, through github.com/jackc/pgx/v5 (pgxpool).
//
// It owns the schema and its versioned migrations (applied at Open, or by
// Migrate for an "airlock migrate" step, in one transaction under an
// advisory lock so that replicas starting together cannot race), the
// translation between store types and rows, and the LISTEN/NOTIFY channel
// that tells every replica which actions changed.
//
// Guarantees across replicas, each enforced by the database rather than by
// any one process: a status change is a single compare-and-set UPDATE, so
// exactly one replica claims an action; a vote locks its action's row, so a
// vote never lands after the decision; audit appends advance a one-row
// chain head with a compare-and-set, so two replicas can never fork the
// chain (the loser gets store.ErrAuditSeq and rebuilds on the new head).
//
// A running action records its owner, the replica that moved it to
// running; a later status keeps the owner so that the row still says which
// replica ran it. A restarting replica interrupts only its own running
// actions and unowned ones (rows from before the owner column, which no
// live replica can finish), so one replica's restart never touches what
// another is executing.
//
// Strings are stored as bytea, not text, because PostgreSQL text cannot
// hold NUL or invalid UTF-8 and the store must keep hostile input verbatim
// rather than fail or mangle it. Times are int8 unix nanoseconds, the
// precision the SQLite store keeps, so both behave the same.
//
// It must never interpret the opaque request and record blobs, never decide
// policy, and never rewrite or delete audit records.
package postgres
