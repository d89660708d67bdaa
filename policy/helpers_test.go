package policy

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var writeKinds = []string{"write_file", "edit_file", "delete_file", "move_file", "make_dir", "apply_patch"}

// fileInput builds what the planner would hand the policy for a file action
// on paths (the first is the target) in environment env.
func fileInput(kind, env string, paths ...string) *Input {
	in := baseInput(env)
	in.Action = Action{Kind: kind, Path: paths[0]}
	if kind == "move_file" && len(paths) > 1 {
		in.Action.ToPath = paths[1]
	}
	p := &in.Plan
	p.Digest = "sha256:0f1e2d"
	p.Mutating = slices.Contains(writeKinds, kind)
	p.Path = paths[0]
	p.Segments = strings.Split(paths[0], "/")
	p.TopDir = p.Segments[0]
	p.Dir = path.Dir(paths[0])
	p.Base = path.Base(paths[0])
	p.Ext = path.Ext(paths[0])
	set := func(dst *[]string, v string) {
		if v != "" && !slices.Contains(*dst, v) {
			*dst = append(*dst, v)
		}
	}
	p.AllPaths, p.TopDirs, p.Bases, p.Exts = []string{}, []string{}, []string{}, []string{}
	p.WrittenPaths = []string{}
	for _, q := range paths {
		segs := strings.Split(q, "/")
		set(&p.AllPaths, q)
		set(&p.TopDirs, segs[0])
		set(&p.Bases, path.Base(q))
		set(&p.Exts, path.Ext(q))
		if p.Mutating {
			set(&p.WrittenPaths, q)
		}
		p.Paths = append(p.Paths, PlannedPath{
			Path: q, Op: kind, Exists: true, Size: 2048, SHA256: "ab12",
			TopDir: segs[0], Dir: path.Dir(q), Base: path.Base(q), Ext: path.Ext(q), Segments: segs,
			LinesAdded: 12, LinesRemoved: 3,
		})
	}
	for _, s := range []*[]string{&p.AllPaths, &p.TopDirs, &p.Bases, &p.Exts, &p.WrittenPaths} {
		slices.Sort(*s)
	}
	if p.Mutating {
		p.FilesChanged = len(paths)
		p.LinesAdded, p.LinesRemoved, p.DiffBytes = 12, 3, 640
	}
	return in
}

// execInput builds an exec action of simple commands piped together.
func execInput(env string, argvs ...[]string) *Input {
	in := baseInput(env)
	in.Action = Action{Kind: "exec", Argv: argvs[0], TimeoutMS: 60000}
	in.Plan.Digest = "sha256:abcdef"
	in.Plan.Mutating = true
	c := &Command{Cwd: "."}
	for i, argv := range argvs {
		op := ""
		if i > 0 {
			op = "|"
		}
		c.Commands = append(c.Commands, SimpleCommand{Name: argv[0], Argv: argv, Literal: true, Op: op})
		if !slices.Contains(c.Names, argv[0]) {
			c.Names = append(c.Names, argv[0])
		}
	}
	slices.Sort(c.Names)
	in.Plan.Command = c
	return in
}

func baseInput(env string) *Input {
	return &Input{
		Version:   InputVersion,
		Principal: Principal{ID: "agent-7", Kind: "agent", Roles: []string{"agent"}, OnBehalfOf: "alice"},
		Workspace: Workspace{Name: "shop", Environment: env, Labels: map[string]string{"team": "payments"}},
		Session:   Session{ID: "sess-1", Actions: 4, FilesChanged: 3, LinesChanged: 40},
		Request:   Request{Intent: "fix the checkout bug", Time: "2026-01-02T03:04:05Z"},
	}
}

// copyExamples copies the example policies into a fresh directory, so that
// engine tests run over real files they may not accidentally change.
func copyExamples(t testing.TB) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(examplesDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(examplesDir, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		bs, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), bs, 0o644)
	})
	if err != nil {
		t.Fatalf("copy examples: %v", err)
	}
	return dst
}

// writeFiles writes name -> content under dir, creating parents.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ruleIDs(d Decision) []string {
	ids := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		ids[i] = r.RuleID
	}
	return ids
}
