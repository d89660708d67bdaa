package postgres_test

import (
	"testing"

	"github.com/airlock-dev/airlock/store"
	"github.com/airlock-dev/airlock/store/pgtest"
	"github.com/airlock-dev/airlock/store/postgres"
	"github.com/airlock-dev/airlock/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func() (store.Store, error) {
		dsn := pgtest.Start(t)
		return func() (store.Store, error) { return postgres.Open(t.Context(), dsn) }
	}, storetest.SharedChanges())
}
