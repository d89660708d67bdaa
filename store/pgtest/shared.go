package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

// The shared server of this test binary, started by the first Start.
var (
	mainRunning atomic.Bool
	sharedOnce  sync.Once
	shared      *Server
	sharedErr   error
)

// Main runs the tests and then stops the shared server, if one was started.
// Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	mainRunning.Store(true)
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// Start returns the DSN of a fresh, empty database on the shared server,
// dropped when t ends. With no PostgreSQL installed it skips t loudly, or
// fails it when AIRLOCK_REQUIRE_POSTGRES=1.
func Start(t testing.TB) string {
	t.Helper()
	return Shared(t).NewDatabase(t)
}

// Shared returns this test binary's server, starting it on first use.
func Shared(t testing.TB) *Server {
	t.Helper()
	if !mainRunning.Load() {
		// Without Main nobody would stop the server when the binary exits.
		t.Fatal("pgtest: call pgtest.Main(m) from TestMain before using the shared server")
	}
	sharedOnce.Do(func() {
		shared, sharedErr = NewServer(context.Background())
	})
	if sharedErr != nil {
		unavailable(t, sharedErr)
	}
	return shared
}

// unavailable skips or fails t. Only a machine with no PostgreSQL at all is
// a skip; a server that is installed but will not start is a failure.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errNoBinaries) && !required(os.Getenv(RequireEnv)) {
		t.Skipf("\n"+
			"*****************************************************************\n"+
			"*** SKIPPING POSTGRESQL TESTS: %v\n"+
			"*** Install PostgreSQL (apt-get install postgresql) to run them;\n"+
			"*** set %s=1 to make this a failure.\n"+
			"*****************************************************************", err, RequireEnv)
	}
	t.Fatalf("pgtest: PostgreSQL unavailable: %v", err)
}
