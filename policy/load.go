package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// maxSourceBytes bounds what one policy directory may hold, so that a
// mistaken dir (a home directory, a repository) fails fast instead of being
// read into memory.
const maxSourceBytes = 64 << 20

// compiled is one immutable policy revision, ready to evaluate. It is shared
// by every goroutine that decides and replaced whole on reload.
type compiled struct {
	query    rego.PreparedEvalQuery
	revision string
	files    int
	// source names where the revision came from; loadedAt is when it went
	// live and warnings what the smoke check found (see gate.go).
	source   string
	loadedAt time.Time
	warnings []string
}

// snapshot is one read of a policy source, held in memory: the files that
// serve (modules and data documents) and the rego tests beside them, which
// must pass for the revision to go live but never serve.
type snapshot struct {
	files fstest.MapFS
	tests fstest.MapFS
	// etag and sum identify a bundle download (see bundle.go).
	etag, sum string
}

// isSource says whether a file under the policy directory belongs to the
// serving policy. Tests (*_test.rego) stay out: they may define rules in the
// policy's own packages and must not change what is served. Only files named
// data.json/data.yaml are data, as in an OPA bundle, so that stray fixtures
// next to the policy are not merged into data.
func isSource(name string) bool {
	if isTest(name) {
		return false
	}
	if strings.HasSuffix(name, ".rego") {
		return true
	}
	switch name {
	case "data.json", "data.yaml", "data.yml":
		return true
	}
	return false
}

func isTest(name string) bool { return strings.HasSuffix(name, "_test.rego") }

// readSources snapshots the policy sources into memory, so that the revision
// hash and the compiled policy are guaranteed to describe the same bytes even
// when the directory changes while it is read.
func readSources(dir string) (*snapshot, error) {
	snap := &snapshot{files: fstest.MapFS{}, tests: fstest.MapFS{}}
	total := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// Hidden directories (.git, editor state) never hold policy.
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		// Hidden files are editor and deploy-tool leftovers (.#x.rego
		// locks, .tmp- files being renamed into place), never policy.
		if strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		fsys := snap.files
		switch {
		case isTest(d.Name()):
			fsys = snap.tests
		case !isSource(d.Name()):
			return nil
		}
		// Symlinked files are followed (a Kubernetes ConfigMap mounts every
		// file as one); anything else that is not a regular file is skipped.
		if !d.Type().IsRegular() {
			info, err := os.Stat(path)
			if err != nil || !info.Mode().IsRegular() {
				return nil
			}
		}
		bs, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		total += len(bs)
		if total > maxSourceBytes {
			return fmt.Errorf("policy sources exceed %d bytes", maxSourceBytes)
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		fsys[filepath.ToSlash(rel)] = &fstest.MapFile{Data: bs, Mode: 0o444}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read policy dir %s: %w", dir, err)
	}
	return snap, nil
}

// revisionOf hashes the sorted paths and contents. Lengths are written before
// each field so that no two different source sets hash alike.
func revisionOf(fsys fstest.MapFS) string {
	names := make([]string, 0, len(fsys))
	for name := range fsys {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%d:%s:%d:", len(name), name, len(fsys[name].Data))
		h.Write(fsys[name].Data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// compile compiles a snapshot's serving files with rego v1 syntax in strict
// mode and prepares query once. origin names the source in errors. Every
// error here means the revision must not serve.
func compile(ctx context.Context, snap *snapshot, origin, query string) (*compiled, error) {
	dir, fsys := origin, snap.files
	regos := 0
	for name := range fsys {
		if strings.HasSuffix(name, ".rego") {
			regos++
		}
	}
	if regos == 0 {
		return nil, fmt.Errorf("policy %s: no .rego files", dir)
	}
	res, err := loader.NewFileLoader().
		WithFS(fsys).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotation(true).
		All([]string{"."})
	if err != nil {
		return nil, fmt.Errorf("load policy %s: %w", dir, err)
	}
	modules := make(map[string]*ast.Module, len(res.Modules))
	for _, m := range res.Modules {
		modules[m.Name] = m.Parsed
	}
	c := ast.NewCompiler().
		WithStrict(true).
		WithDefaultRegoVersion(ast.RegoV1).
		WithEnablePrintStatements(false)
	c.Compile(modules)
	if c.Failed() {
		return nil, fmt.Errorf("compile policy %s: %w", dir, c.Errors)
	}
	q, err := ast.ParseRef(query)
	if err != nil {
		return nil, fmt.Errorf("parse policy query %q: %w", query, err)
	}
	prepared, err := rego.New(
		rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(q)))),
		rego.Compiler(c),
		rego.Store(inmem.NewFromObject(res.Documents)),
		rego.StrictBuiltinErrors(true),
		rego.SetRegoVersion(ast.RegoV1),
		// Hand back the result as an ast.Value: decision.go reads it in
		// place instead of converting it to Go maps first.
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil }),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare policy query %s: %w", query, err)
	}
	if !queryDefined(c, q) {
		return nil, errors.New("policy query " + query + " names no rule in " + dir)
	}
	return &compiled{query: prepared, revision: revisionOf(fsys), files: len(fsys), source: origin}, nil
}

// queryDefined catches a policy directory that compiles but can never
// decide (wrong package name), which would otherwise deny every action
// with airlock.undefined after a successful start.
func queryDefined(c *ast.Compiler, q ast.Ref) bool {
	return len(c.GetRulesForVirtualDocument(q)) > 0 || len(c.GetRulesWithPrefix(q)) > 0
}
