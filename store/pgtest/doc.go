// Package pgtest runs a real, throwaway PostgreSQL server for tests: the
// installed initdb and postgres binaries, a cluster in a temporary
// directory, listening only on 127.0.0.1 at a free port with a random
// password, and a fresh database for each test.
//
// It owns that server's whole life: creating it, waiting until it accepts
// connections, and stopping it and deleting its files. It must never touch
// a server it did not start, never listen beyond loopback, and never be
// imported by non-test code.
//
// A test binary shares one server: its TestMain calls Main, which stops the
// server when the tests end, and each test calls Start for its own
// database. Without PostgreSQL binaries the tests are skipped loudly, unless
// AIRLOCK_REQUIRE_POSTGRES=1 (as in CI) makes that a failure.
package pgtest
