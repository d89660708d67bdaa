package policy

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// maxListedFailures bounds how many failing tests a refusal names; the
// count is always given.
const maxListedFailures = 5

// runTests runs the snapshot's own rego tests (*_test.rego) against its
// modules and data, compiled strictly as the served policy is. A revision
// whose authors' tests fail is not what they meant to ship, however well it
// compiles. A snapshot without tests passes.
func runTests(ctx context.Context, snap *snapshot, timeout time.Duration) error {
	if len(snap.tests) == 0 {
		return nil
	}
	all := fstest.MapFS{}
	maps.Copy(all, snap.files)
	maps.Copy(all, snap.tests)
	res, err := loader.NewFileLoader().
		WithFS(all).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotation(true).
		All([]string{"."})
	if err != nil {
		return fmt.Errorf("load policy tests: %w", err)
	}
	modules := make(map[string]*ast.Module, len(res.Modules))
	for _, m := range res.Modules {
		modules[m.Name] = m.Parsed
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ch, err := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(ast.RegoV1).WithEnablePrintStatements(true)).
		SetStore(inmem.NewFromObject(res.Documents)).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true).
		CapturePrintOutput(true).
		SetTimeout(timeout).
		Run(ctx, modules)
	if err != nil {
		return fmt.Errorf("compile policy tests: %w", err)
	}
	var failed []string
	n := 0
	for r := range ch {
		n++
		if r.Fail || r.Error != nil {
			failed = append(failed, strings.TrimPrefix(r.Package, "data.")+"."+r.Name)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("policy tests did not finish: %w", err)
	}
	if len(failed) > 0 {
		more := ""
		if len(failed) > maxListedFailures {
			more = fmt.Sprintf(" and %d more", len(failed)-maxListedFailures)
			failed = failed[:maxListedFailures]
		}
		return fmt.Errorf("policy tests failed: %d of %d (%s%s); run `airlock policy test` for details",
			len(failed), n, strings.Join(failed, ", "), more)
	}
	return nil
}

// smokeInputs are ordinary actions any working policy lets through
// somewhere: reading the README, writing source code and listing files,
// all in dev. A revision that denies all of them is almost certainly a
// mistake (a wrong package, a default deny that lost its exceptions).
func smokeInputs() []*Input {
	file := func(kind, p string, mutating bool) *Input {
		in := smokeBase()
		in.Action = Action{Kind: kind, Path: p}
		segs := strings.Split(p, "/")
		top, dir := "", "."
		if len(segs) > 1 {
			top, dir = segs[0], strings.Join(segs[:len(segs)-1], "/")
		}
		base := segs[len(segs)-1]
		ext := ""
		if i := strings.LastIndexByte(base, '.'); i > 0 {
			ext = strings.ToLower(base[i:])
		}
		op := kind
		written := []string{}
		if mutating {
			written = []string{p}
			in.Action.ContentBytes = 64
		}
		in.Plan = Plan{
			Digest: "sha256:smoke", Mutating: mutating,
			Path: p, TopDir: top, Dir: dir, Base: base, Ext: ext, Segments: segs,
			AllPaths: []string{p}, TopDirs: nonEmpty(top), Bases: []string{base}, Exts: nonEmpty(ext),
			WrittenPaths: written,
			Paths:        []PlannedPath{{Path: p, Op: op, Exists: !mutating, Size: 64, TopDir: top, Dir: dir, Base: base, Ext: ext, Segments: segs}},
		}
		if mutating {
			in.Plan.FilesChanged, in.Plan.LinesAdded, in.Plan.DiffBytes = 1, 3, 80
			in.Plan.Paths[0].LinesAdded = 3
		}
		return in
	}
	ls := smokeBase()
	ls.Action = Action{Kind: "exec", Argv: []string{"ls"}, Cwd: "."}
	ls.Plan = Plan{
		Digest: "sha256:smoke", Mutating: true, Path: ".", Dir: ".", Base: ".", Segments: []string{},
		AllPaths: []string{}, TopDirs: []string{}, Bases: []string{}, Exts: []string{}, WrittenPaths: []string{},
		Paths: []PlannedPath{},
		Command: &Command{
			Commands:       []SimpleCommand{{Name: "ls", Argv: []string{"ls"}, Literal: true, WrappedBy: []string{}, Redirects: []Redirect{}}},
			Names:          []string{"ls"},
			RedirectWrites: []string{},
			Cwd:            ".",
		},
	}
	return []*Input{
		file("read_file", "README.md", false),
		file("write_file", "src/main.go", true),
		ls,
	}
}

func smokeBase() *Input {
	return &Input{
		Version:   InputVersion,
		Principal: Principal{ID: "airlock-smoke", Kind: "agent", Roles: []string{"agent"}},
		Workspace: Workspace{Name: "smoke", Environment: "dev", Labels: map[string]string{}},
		Session:   Session{ID: "airlock-smoke"},
		Request:   Request{Intent: "smoke check", Labels: map[string]string{}, Time: "2026-01-01T00:00:00Z"},
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return []string{}
	}
	return []string{s}
}

// smoke decides the smoke inputs with p and returns a warning when every
// one is denied. It never refuses a revision: a policy may mean to lock
// everything down (an incident), and the operator is told, not overruled.
func (e *Engine) smoke(ctx context.Context, p *compiled) []string {
	var denied []string
	ins := smokeInputs()
	for _, in := range ins {
		d := e.decideQuiet(ctx, p, in)
		if d.Effect != Deny {
			return nil
		}
		what := in.Action.Kind + " " + in.Action.Path
		if in.Action.Kind == "exec" {
			what = "exec " + strings.Join(in.Action.Argv, " ")
		}
		denied = append(denied, what+" ("+strings.Join(reasonIDs(d.Reasons), ",")+")")
	}
	return []string{fmt.Sprintf("revision %s denies every smoke input in dev: %s", p.revision, strings.Join(denied, "; "))}
}

func reasonIDs(rs []Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.RuleID
	}
	return out
}
