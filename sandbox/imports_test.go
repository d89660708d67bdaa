package sandbox

import (
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestLauncherImports: a launcher is the airlock binary re-executed, and
// it becomes the launcher in this package's init, which Go runs only after
// every package this one imports has initialised. Go initialises packages
// in import-path order among those ready, so a dependency named after most
// of a large binary's packages (path/filepath, crypto/rand ...) waits for
// all of them: in the airlock binary, path/filepath and crypto/rand held
// this init back until ~3.4 ms after exec instead of ~2.0 ms (when
// x/sys/unix is ready), on every cold start. New imports need measuring
// first (GODEBUG=inittrace=1 airlock version).
func TestLauncherImports(t *testing.T) {
	allowed := []string{"context", "encoding/hex", "encoding/json", "errors", "fmt", "golang.org/x/sys/unix", "io",
		"os", "path", "runtime", "slices", "sort", "strconv", "strings", "sync", "sync/atomic", "syscall", "time", "unsafe"}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !slices.Contains(allowed, p) {
				t.Errorf("%s imports %s, which may delay every launcher's start (see the test's comment)", name, p)
			}
		}
	}
}
