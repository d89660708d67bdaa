package policy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/tester"
)

const examplesDir = "../examples/policies"

// TestExamplePolicyRegoTests runs the rego tests next to the example policies
// (what `opa test examples/policies` runs), compiled in strict mode as the
// engine compiles the policies themselves.
func TestExamplePolicyRegoTests(t *testing.T) {
	modules, store, err := tester.LoadWithRegoVersion([]string{examplesDir}, nil, ast.RegoV1)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	compiler := ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(ast.RegoV1).WithEnablePrintStatements(true)
	ch, err := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(store).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true).
		CapturePrintOutput(true).
		SetTimeout(time.Minute).
		Run(context.Background(), modules)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	n := 0
	for r := range ch {
		n++
		name := strings.TrimPrefix(r.Package, "data.") + "." + r.Name
		t.Run(name, func(t *testing.T) {
			switch {
			case r.Error != nil:
				t.Fatalf("error: %v\n%s", r.Error, r.Output)
			case r.Fail:
				t.Fatalf("fail at %v\n%s", r.FailedAt, r.Output)
			case r.Skip:
				t.Skip("todo")
			}
		})
	}
	// A renamed package or a filter mistake would otherwise pass with zero tests.
	if n < 40 {
		t.Fatalf("ran %d rego tests, want at least 40", n)
	}
}

// TestExamplePoliciesFormatted keeps the examples as `opa fmt` writes them,
// since platform teams copy them as the house style.
func TestExamplePoliciesFormatted(t *testing.T) {
	err := filepath.WalkDir(examplesDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, err := format.SourceWithOpts(p, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if !bytes.Equal(got, src) {
			if os.Getenv("AIRLOCK_OPA_FMT") == "write" {
				return os.WriteFile(p, got, 0o644)
			}
			t.Errorf("%s is not opa fmt clean (rerun with AIRLOCK_OPA_FMT=write to fix)", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
