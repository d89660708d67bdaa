package client_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/airlock-dev/airlock/clients/go/clienttest"
	"github.com/airlock-dev/airlock/sandbox"
)

// srv is the server the examples and tests share; each uses its own files.
var srv *clienttest.Server

func TestMain(m *testing.M) {
	sandbox.MaybeRunLauncher()
	dir, err := os.MkdirTemp("", "airlock-client-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv, err = clienttest.New(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}
