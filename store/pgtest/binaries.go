package pgtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
)

// RequireEnv names the variable that turns "no PostgreSQL here" from a skip
// into a failure, so that CI cannot go green by running none of these tests.
const RequireEnv = "AIRLOCK_REQUIRE_POSTGRES"

// errNoBinaries means no PostgreSQL installation was found at all; any other
// start-up problem is a real failure.
var errNoBinaries = errors.New("pgtest: no PostgreSQL binaries (initdb, postgres) on PATH or in /usr/lib/postgresql/*/bin")

// required reports whether the environment demands a real PostgreSQL.
func required(value string) bool {
	switch value {
	case "1", "true", "yes":
		return true
	}
	return false
}

// binDir finds a directory holding both initdb and postgres: PATH first
// (where the operator put them), then Debian's versioned directories,
// newest first.
func binDir() (string, error) {
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if dir, ok := withPostgres(initdb); ok {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if dir, ok := withPostgres(filepath.Join(d, "initdb")); ok {
			return dir, nil
		}
	}
	return "", errNoBinaries
}

// withPostgres resolves symlinks (/usr/local/bin/initdb points into the
// versioned directory) and checks that postgres sits beside initdb, so the
// two always come from the same version.
func withPostgres(initdb string) (string, bool) {
	real, err := filepath.EvalSymlinks(initdb)
	if err != nil {
		return "", false
	}
	dir := filepath.Dir(real)
	for _, name := range []string{"initdb", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode()&0o111 == 0 {
			return "", false
		}
	}
	return dir, true
}

func versionOf(binDir string) int {
	n := 0
	for _, c := range filepath.Base(filepath.Dir(binDir)) {
		if c < '0' || c > '9' {
			return n
		}
		n = n*10 + int(c-'0')
	}
	return n
}
