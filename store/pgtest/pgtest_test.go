package pgtest

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func TestStartGivesAWorkingDatabase(t *testing.T) {
	conn := connect(t, Start(t))
	settings := []struct {
		name, want string
	}{
		{"listen_addresses", "127.0.0.1"},
		{"fsync", "off"},
		{"server_version_num", ""}, // any; checked below
	}
	for _, s := range settings {
		var got string
		if err := conn.QueryRow(t.Context(), "SELECT current_setting($1)", s.name).Scan(&got); err != nil {
			t.Fatalf("current_setting(%s): %v", s.name, err)
		}
		if s.want != "" && got != s.want {
			t.Errorf("%s = %q, want %q", s.name, got, s.want)
		}
		if s.name == "server_version_num" {
			if v, err := strconv.Atoi(got); err != nil || v < 130000 {
				t.Errorf("server_version_num = %q, want 13 or newer (DROP DATABASE WITH FORCE)", got)
			}
		}
	}
	if _, err := conn.Exec(t.Context(), "CREATE TABLE t (x int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func TestDatabasesAreIsolatedAndDropped(t *testing.T) {
	srv := Shared(t)
	var first string
	t.Run("first", func(t *testing.T) {
		first = srv.NewDatabase(t)
		if _, err := connect(t, first).Exec(t.Context(), "CREATE TABLE only_here (x int)"); err != nil {
			t.Fatalf("create table: %v", err)
		}
		second := connect(t, srv.NewDatabase(t))
		var n int
		if err := second.QueryRow(t.Context(),
			"SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'").Scan(&n); err != nil || n != 0 {
			t.Errorf("second database sees %d only_here tables (%v), want 0", n, err)
		}
	})
	// The subtest's cleanup dropped its databases, even with a
	// connection that was still open at the time.
	cfg, err := pgx.ParseConfig(first)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	conn := connect(t, srv.DSN("postgres"))
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1",
		cfg.Database).Scan(&n); err != nil || n != 0 {
		t.Errorf("database %s still exists (%d, %v) after its test ended", cfg.Database, n, err)
	}
}

func TestLoginNeedsThePassword(t *testing.T) {
	cfg, err := pgx.ParseConfig(Start(t))
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	cases := []struct {
		name     string
		password string
	}{
		{"no password", ""},
		{"wrong password", "hunter2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := cfg.Copy()
			bad.Password = tc.password
			conn, err := pgx.ConnectConfig(t.Context(), bad)
			if err == nil {
				_ = conn.Close(context.Background())
				t.Fatal("login succeeded without the right password")
			}
		})
	}
}

// TestStopRemovesEverything runs a dedicated server to check the end of
// its life: the port is closed and the directory gone.
func TestStopRemovesEverything(t *testing.T) {
	Shared(t) // skips or fails like every other test when PostgreSQL is missing
	srv, err := NewServer(t.Context())
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if srv.Port() == Shared(t).Port() {
		t.Errorf("dedicated server shares port %d with the shared one", srv.Port())
	}
	if _, err := connect(t, srv.DSN("postgres")).Exec(t.Context(), "SELECT 1"); err != nil {
		t.Fatalf("query dedicated server: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(srv.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory %s after Stop: %v, want it gone", srv.Dir(), err)
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port())), time.Second)
	if err == nil {
		_ = c.Close()
		t.Errorf("port %d still accepts connections after Stop", srv.Port())
	}
}

func TestRequired(t *testing.T) {
	cases := []struct {
		name, value string
		want        bool
	}{
		{"unset", "", false},
		{"one", "1", true},
		{"true", "true", true},
		{"zero", "0", false},
		{"junk", "maybe", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := required(tc.value); got != tc.want {
				t.Errorf("required(%q) = %v, want %v", tc.value, got, tc.want)
			}
		})
	}
}

func TestBinDirFindsBothBinaries(t *testing.T) {
	dir, err := binDir()
	if errors.Is(err, errNoBinaries) {
		unavailable(t, err)
	}
	if err != nil {
		t.Fatalf("binDir: %v", err)
	}
	if _, ok := withPostgres(dir + "/initdb"); !ok {
		t.Errorf("binDir = %s, which lacks initdb or postgres", dir)
	}
}
