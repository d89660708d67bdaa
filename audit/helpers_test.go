package audit_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/airlock-dev/airlock/store/sqlite"
)

// openStore opens a real SQLite store in t.TempDir() and returns it with
// its file path (for tampering through a second connection).
func openStore(t testing.TB) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, path
}
