package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-dev/airlock/store"
	"github.com/airlock-dev/airlock/store/pgtest"
)

// TestUpgradeLeavesRunningActionsUnowned: a database migrated before the
// owner column existed, with an action running when its server stopped, is
// interrupted by the first replica to start on the new schema whatever its
// id, rather than left running forever.
func TestUpgradeLeavesRunningActionsUnowned(t *testing.T) {
	dsn := pgtest.Start(t)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `CREATE TABLE schema_migrations (
		version integer NOT NULL PRIMARY KEY, applied_at bigint NOT NULL)`); err != nil {
		t.Fatalf("create schema_migrations: %v", err)
	}
	if _, err := conn.Exec(t.Context(), migrations[0]); err != nil {
		t.Fatalf("old schema: %v", err)
	}
	if _, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations VALUES (1, 0);
		INSERT INTO actions (id, principal, workspace, session_id, kind, status, request, record, created_at, updated_at)
		VALUES ('old', 'agent:a', 'ws', 's', 'write_file', 'running', '', '', 1, 1)`); err != nil {
		t.Fatalf("insert old running action: %v", err)
	}
	st, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open (upgrade): %v", err)
	}
	defer st.Close()
	got, err := st.GetAction(t.Context(), "old")
	if err != nil || got.Owner != "" || got.Status != store.StatusRunning {
		t.Fatalf("old action after upgrade = %+v, %v; want running and unowned", got, err)
	}
	ids, err := st.MarkInterrupted(t.Context(), "replica-z", nil)
	if err != nil || len(ids) != 1 || ids[0] != "old" {
		t.Fatalf("MarkInterrupted(replica-z) = %v, %v; want [old]", ids, err)
	}
}
