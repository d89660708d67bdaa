package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-dev/airlock/store"
	"github.com/airlock-dev/airlock/store/pgtest"
	"github.com/airlock-dev/airlock/store/postgres"
)

func rawConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// wait bounds every wait for something the store must do promptly.
const wait = 10 * time.Second

func waitListen(t *testing.T, listens <-chan struct{}) {
	t.Helper()
	select {
	case <-listens:
	case <-time.After(wait):
		t.Fatalf("listener not listening within %v", wait)
	}
}

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case id := <-ch:
		return id
	case <-time.After(wait):
		t.Fatalf("no id delivered within %v", wait)
	}
	return ""
}

func open(t *testing.T, dsn string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), dsn, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// TestReplicasMigrateTogether opens many stores at once on an empty
// database, as replicas starting together would: the advisory lock must
// make exactly one of them create the schema and the rest find it done.
func TestReplicasMigrateTogether(t *testing.T) {
	dsn := pgtest.Start(t)
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			if i%2 == 0 {
				errs[i] = postgres.Migrate(t.Context(), dsn)
				return
			}
			st, err := postgres.Open(t.Context(), dsn)
			if err == nil {
				err = st.Close()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	var rows, versions int
	if err := rawConn(t, dsn).QueryRow(t.Context(),
		`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&rows, &versions); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	if rows != versions || rows < 1 {
		t.Errorf("schema_migrations has %d rows for %d versions, want each version once", rows, versions)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dsn := pgtest.Start(t)
	if err := postgres.Migrate(t.Context(), dsn); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := rawConn(t, dsn).Exec(t.Context(),
		`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatalf("insert future version: %v", err)
	}
	st, err := postgres.Open(t.Context(), dsn)
	if err == nil {
		_ = st.Close()
		t.Fatal("Open succeeded on a schema from a newer binary")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open error = %v, want it to say the schema is newer", err)
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	cases := []struct {
		name, dsn string
	}{
		{"unparsable", "postgres://u:" + secret + "@127.0.0.1:notaport/db"},
		{"bad option", "postgres://u:" + secret + "@127.0.0.1:1/db?sslmode=maybe"},
		{"key value", "host=127.0.0.1 port=x password=" + secret},
		{"unreachable", "postgres://u:" + secret + "@127.0.0.1:1/db?connect_timeout=2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := postgres.Open(t.Context(), tc.dsn)
			if err == nil {
				_ = st.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error reveals the password: %v", err)
			}
		})
	}
}

// TestListenerReconnects kills the listening connection from the server
// side; the store must listen again and deliver later changes.
func TestListenerReconnects(t *testing.T) {
	dsn := pgtest.Start(t)
	listens := make(chan struct{}, 4)
	st := open(t, dsn, postgres.WithOnListen(func() { listens <- struct{}{} }))
	ch, err := st.Subscribe(t.Context())
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	waitListen(t, listens)
	var killed int
	if err := rawConn(t, dsn).QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'airlock-listener'`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners (%v), want 1", killed, err)
	}
	waitListen(t, listens)
	if _, err := st.CreateAction(t.Context(), &store.Action{ID: "after-reconnect", Status: store.StatusRunning}); err != nil {
		t.Fatalf("CreateAction: %v", err)
	}
	if id := next(t, ch); id != "after-reconnect" {
		t.Errorf("delivered %q, want after-reconnect", id)
	}
}

// TestLongIDIsStoredButNotAnnounced: an id too long for a NOTIFY payload
// must not fail the write; later ids are still announced.
func TestLongIDIsStoredButNotAnnounced(t *testing.T) {
	st := open(t, pgtest.Start(t))
	ch, err := st.Subscribe(t.Context())
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	long := strings.Repeat("x", 10000)
	for _, id := range []string{long, "short"} {
		if _, err := st.CreateAction(t.Context(), &store.Action{ID: id, Status: store.StatusRunning}); err != nil {
			t.Fatalf("CreateAction(%d bytes): %v", len(id), err)
		}
	}
	if id := next(t, ch); id != "short" {
		t.Errorf("first delivered id has %d bytes, want short", len(id))
	}
	if _, err := st.GetAction(t.Context(), long); err != nil {
		t.Errorf("GetAction(long id): %v", err)
	}
}
