package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// migrateLock is the pg_advisory_xact_lock key that serialises migrations
// across replicas ("airlock" in ASCII).
const migrateLock int64 = 0x6169726c6f636b

// migrations are applied in order, each once, recorded in schema_migrations.
// Append new ones; never edit or reorder a released migration.
var migrations = []string{
	// 1: actions, sessions, votes, the audit trail and its head.
	`CREATE TABLE actions (
		id              bytea  NOT NULL PRIMARY KEY,
		principal       bytea  NOT NULL,
		workspace       bytea  NOT NULL,
		session_id      bytea  NOT NULL,
		kind            bytea  NOT NULL,
		idempotency_key bytea  NOT NULL DEFAULT '',
		request_digest  bytea  NOT NULL DEFAULT '',
		status          text   NOT NULL,
		request         bytea  NOT NULL,
		record          bytea  NOT NULL,
		created_at      bigint NOT NULL,
		updated_at      bigint NOT NULL,
		expires_at      bigint NOT NULL DEFAULT 0
	);
	CREATE UNIQUE INDEX actions_idempotency ON actions (principal, idempotency_key)
		WHERE idempotency_key <> '';
	CREATE INDEX actions_status_created ON actions (status, created_at);
	CREATE INDEX actions_created ON actions (created_at);
	CREATE INDEX actions_expires ON actions (expires_at) WHERE expires_at <> 0;
	CREATE TABLE sessions (
		principal     bytea  NOT NULL,
		session_id    bytea  NOT NULL,
		actions       bigint NOT NULL DEFAULT 0,
		files_changed bigint NOT NULL DEFAULT 0,
		lines_changed bigint NOT NULL DEFAULT 0,
		PRIMARY KEY (principal, session_id)
	);
	CREATE TABLE votes (
		action_id  bytea  NOT NULL REFERENCES actions (id),
		principal  bytea  NOT NULL,
		kind       text   NOT NULL,
		comment    bytea  NOT NULL,
		created_at bigint NOT NULL,
		PRIMARY KEY (action_id, principal)
	);
	CREATE TABLE audit (
		seq       bigint NOT NULL PRIMARY KEY,
		time      bigint NOT NULL,
		action_id bytea  NOT NULL,
		type      bytea  NOT NULL,
		body      bytea  NOT NULL,
		prev_hash bytea  NOT NULL,
		hash      bytea  NOT NULL
	);
	CREATE TABLE audit_head (
		one boolean NOT NULL PRIMARY KEY DEFAULT true CHECK (one),
		seq bigint  NOT NULL
	);
	INSERT INTO audit_head (one, seq) VALUES (true, 0);`,
	// 2: the replica that moved an action to running, so that a restarting
	// replica interrupts only its own. A constant default makes this a
	// catalogue-only change, without rewriting the table. Rows from before
	// it are unowned (''), which every replica treats as its own.
	`ALTER TABLE actions ADD COLUMN owner bytea NOT NULL DEFAULT '';
	CREATE INDEX actions_running_owner ON actions (owner) WHERE status = 'running';`,
}

// Migrate brings the database at dsn up to the schema this binary expects,
// for an explicit "airlock migrate" step before replicas start. Open does
// the same, so running it is optional.
func Migrate(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("postgres: migrate: connect: %w", err)
	}
	defer conn.Close(context.Background())
	return migrate(ctx, conn)
}

// migrate applies every pending migration in one transaction under an
// advisory lock: replicas starting together queue on the lock, and the
// second finds nothing left to do. A crash mid-way rolls everything back.
func migrate(ctx context.Context, conn *pgx.Conn) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return fmt.Errorf("postgres: migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer NOT NULL PRIMARY KEY,
			applied_at bigint  NOT NULL
		)`); err != nil {
			return fmt.Errorf("postgres: migrate: create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("postgres: migrate: read version: %w", err)
		}
		if current > len(migrations) {
			// A newer binary migrated this database; old code could
			// corrupt data it does not understand.
			return fmt.Errorf("postgres: schema version %d is newer than this binary supports (%d)", current, len(migrations))
		}
		for v := current + 1; v <= len(migrations); v++ {
			if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
				return fmt.Errorf("postgres: migration %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				v, time.Now().UnixNano()); err != nil {
				return fmt.Errorf("postgres: migration %d: record: %w", v, err)
			}
		}
		return nil
	})
}
