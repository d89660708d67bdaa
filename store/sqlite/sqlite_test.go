package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/airlock-dev/airlock/store"
	"github.com/airlock-dev/airlock/store/sqlite"
	"github.com/airlock-dev/airlock/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func() (store.Store, error) {
		path := filepath.Join(t.TempDir(), "airlock.db")
		return func() (store.Store, error) { return sqlite.Open(t.Context(), path) }
	})
}
