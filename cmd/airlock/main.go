// Command airlock is the one Airlock binary: the server, the demo, and the
// operator tools.
package main

import (
	"fmt"
	"os"

	"github.com/airlock-dev/airlock/sandbox"
)

func main() {
	// The binary re-executes itself as the command sandbox's launcher; in
	// that role it never returns from here.
	sandbox.MaybeRunLauncher()
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "airlock:", err)
		os.Exit(exitCode(err))
	}
}
