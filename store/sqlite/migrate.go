package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations are applied in order, each once, recorded in schema_migrations.
// Append new ones; never edit or reorder a released migration, because
// databases in the field have already applied it.
var migrations = []string{
	// 1: actions, sessions and the audit trail.
	`CREATE TABLE actions (
		id              TEXT    NOT NULL PRIMARY KEY,
		principal       TEXT    NOT NULL,
		workspace       TEXT    NOT NULL,
		session_id      TEXT    NOT NULL,
		kind            TEXT    NOT NULL,
		idempotency_key TEXT    NOT NULL DEFAULT '',
		request_digest  TEXT    NOT NULL DEFAULT '',
		status          TEXT    NOT NULL,
		request         BLOB,
		record          BLOB,
		created_at      INTEGER NOT NULL,
		updated_at      INTEGER NOT NULL,
		expires_at      INTEGER NOT NULL DEFAULT 0
	);
	CREATE UNIQUE INDEX actions_idempotency ON actions (principal, idempotency_key)
		WHERE idempotency_key <> '';
	CREATE INDEX actions_status ON actions (status);
	CREATE TABLE sessions (
		principal     TEXT    NOT NULL,
		session_id    TEXT    NOT NULL,
		actions       INTEGER NOT NULL DEFAULT 0,
		files_changed INTEGER NOT NULL DEFAULT 0,
		lines_changed INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (principal, session_id)
	);
	CREATE TABLE audit (
		seq       INTEGER NOT NULL PRIMARY KEY,
		time      INTEGER NOT NULL,
		action_id TEXT    NOT NULL,
		type      TEXT    NOT NULL,
		body      BLOB    NOT NULL,
		prev_hash TEXT    NOT NULL,
		hash      TEXT    NOT NULL
	);`,
	// 2: approvers' votes, and indexes for listing actions by status and
	// for sweeping expired ones. (status, created_at) serves everything
	// the status-only index did.
	`CREATE TABLE votes (
		action_id  TEXT    NOT NULL REFERENCES actions (id),
		principal  TEXT    NOT NULL,
		kind       TEXT    NOT NULL,
		comment    TEXT    NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		PRIMARY KEY (action_id, principal)
	);
	DROP INDEX actions_status;
	CREATE INDEX actions_status_created ON actions (status, created_at);
	CREATE INDEX actions_created ON actions (created_at);
	CREATE INDEX actions_expires ON actions (expires_at) WHERE expires_at <> 0;`,
	// 3: the replica that moved an action to running, so that a restarting
	// replica interrupts only its own. Rows from before this migration are
	// unowned (''), which every replica treats as its own.
	`ALTER TABLE actions ADD COLUMN owner TEXT NOT NULL DEFAULT '';
	CREATE INDEX actions_running_owner ON actions (owner) WHERE status = 'running';`,
}

// migrate brings the schema up to date inside one transaction per migration,
// so a crash mid-way leaves the database at a known version.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(migrations) {
		// A newer binary migrated this file; running old code on it could
		// corrupt data it does not understand.
		return fmt.Errorf("schema version %d is newer than this binary supports (%d)", current, len(migrations))
	}
	for v := current + 1; v <= len(migrations); v++ {
		if err := applyMigration(ctx, db, v); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: begin: %w", version, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err = tx.ExecContext(ctx, migrations[version-1]); err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	if _, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("migration %d: record: %w", version, err)
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("migration %d: commit: %w", version, err)
	}
	return nil
}
