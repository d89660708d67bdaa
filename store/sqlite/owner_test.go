package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/airlock-dev/airlock/store"
)

// TestUpgradeLeavesRunningActionsUnowned: a file written before the owner
// column existed, with an action that was running when that server
// stopped, is interrupted by the first replica to start on the new schema
// whatever its id, rather than left running forever.
func TestUpgradeLeavesRunningActionsUnowned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airlock.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("open raw: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.ExecContext(t.Context(), `CREATE TABLE schema_migrations (
		version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatalf("create schema_migrations: %v", err)
	}
	for v := 1; v <= 2; v++ {
		if err := applyMigration(t.Context(), db, v); err != nil {
			t.Fatalf("old schema: %v", err)
		}
	}
	if _, err := db.ExecContext(t.Context(), `INSERT INTO actions
		(id, principal, workspace, session_id, kind, status, request, record, created_at, updated_at)
		VALUES ('old', 'agent:a', 'ws', 's', 'write_file', 'running', x'', x'', 1, 1)`); err != nil {
		t.Fatalf("insert old running action: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	st, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open (upgrade): %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	got, err := st.GetAction(t.Context(), "old")
	if err != nil || got.Owner != "" || got.Status != store.StatusRunning {
		t.Fatalf("old action after upgrade = %+v, %v; want running and unowned", got, err)
	}
	ids, err := st.MarkInterrupted(t.Context(), "replica-z", nil)
	if err != nil || len(ids) != 1 || ids[0] != "old" {
		t.Fatalf("MarkInterrupted(replica-z) = %v, %v; want [old]", ids, err)
	}
}
