package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/store/sqlite"
)

func TestOpenRefusesOddPaths(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, path string
	}{
		{"empty", ""},
		{"query string", filepath.Join(dir, "a.db?_pragma=journal_mode(OFF)")},
		{"uri", "file:" + filepath.Join(dir, "a.db")},
		{"memory", ":memory:"},
		{"nul", filepath.Join(dir, "a\x00.db")},
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "a.db")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := sqlite.Open(t.Context(), tc.path)
			if err == nil {
				_ = st.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tc.path)
			}
		})
	}
}

// TestOpenSettings checks the durability settings on the file itself and
// that migrations are recorded and idempotent across reopen.
func TestOpenSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airlock.db")
	for range 2 {
		st, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	db := rawDB(t, path)
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var versions, maxVersion int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&versions, &maxVersion); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	if versions != maxVersion || versions < 1 {
		t.Errorf("schema_migrations has %d rows up to version %d, want each version once", versions, maxVersion)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airlock.db")
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	db := rawDB(t, path)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatalf("insert future version: %v", err)
	}
	_ = db.Close()
	st, err = sqlite.Open(t.Context(), path)
	if err == nil {
		_ = st.Close()
		t.Fatal("Open succeeded on a schema from a newer binary")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open error = %v, want it to say the schema is newer", err)
	}
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("open raw db: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
