package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/sandbox/files"
)

// flat are the facts derived from the touched paths.
type flat struct {
	path, top, dir, base, ext   string
	segs                        []string
	all, tops, bases, exts, wrt []string
	mutating                    bool
	changed, added, removed     int
}

func (f flat) plan(paths []pw) policy.Plan {
	p := policy.Plan{
		Mutating: f.mutating, Path: f.path, TopDir: f.top, Dir: f.dir, Base: f.base, Ext: f.ext, Segments: f.segs,
		AllPaths: f.all, TopDirs: f.tops, Bases: f.bases, Exts: f.exts, WrittenPaths: f.wrt,
		FilesChanged: f.changed, LinesAdded: f.added, LinesRemoved: f.removed,
	}
	for _, s := range []*[]string{&p.Segments, &p.AllPaths, &p.TopDirs, &p.Bases, &p.Exts, &p.WrittenPaths} {
		if *s == nil {
			*s = []string{}
		}
	}
	for _, w := range paths {
		p.Paths = append(p.Paths, policy.PlannedPath(w))
		p.DiffBytes += len(w.Diff)
	}
	return p
}

func l(s ...string) []string { return s }

func TestBuildFacts(t *testing.T) {
	w := newWorkspace(t)
	before := w.snapshot(t)
	patch := "--- a/README.md\n+++ b/README.md\n@@ -1 +1,2 @@\n # demo\n+more\n" +
		"--- /dev/null\n+++ b/src/app/new.go\n@@ -0,0 +1 @@\n+package app\n"
	cases := []struct {
		name    string
		action  Action
		paths   []pw
		flat    flat
		changes []files.Change
		act     policy.Action // only Path, ToPath and the echoed options are compared
		repl    int
	}{
		{
			name:   "read nested file with an unclean path",
			action: Action{Kind: ReadFile, Path: "./src//app/../app/main.go", Offset: 3, Limit: 10},
			paths:  []pw{at("src/app/main.go", "src", "src/app", "main.go", ".go", "src", "app", "main.go").op("read").file(mainGo, false)},
			flat: flat{path: "src/app/main.go", top: "src", dir: "src/app", base: "main.go", ext: ".go", segs: l("src", "app", "main.go"),
				all: l("src/app/main.go"), tops: l("src"), bases: l("main.go"), exts: l(".go")},
			act: policy.Action{Kind: "read_file", Path: "src/app/main.go", Offset: 3, Limit: 10},
		},
		{
			name:   "read root-level file",
			action: Action{Kind: ReadFile, Path: "README.md"},
			paths:  []pw{at("README.md", "README.md", ".", "README.md", ".md", "README.md").op("read").file(readme, false)},
			flat: flat{path: "README.md", top: "README.md", dir: ".", base: "README.md", ext: ".md", segs: l("README.md"),
				all: l("README.md"), tops: l("README.md"), bases: l("README.md"), exts: l(".md")},
			act: policy.Action{Kind: "read_file", Path: "README.md"},
		},
		{
			name:   "extension is lower-cased",
			action: Action{Kind: ReadFile, Path: "data.BIN"},
			paths:  []pw{at("data.BIN", "data.BIN", ".", "data.BIN", ".bin", "data.BIN").op("read").file(binData, false)},
			flat: flat{path: "data.BIN", top: "data.BIN", dir: ".", base: "data.BIN", ext: ".bin", segs: l("data.BIN"),
				all: l("data.BIN"), tops: l("data.BIN"), bases: l("data.BIN"), exts: l(".bin")},
			act: policy.Action{Kind: "read_file", Path: "data.BIN"},
		},
		{
			name:   "list the root",
			action: Action{Kind: ListDir, Recursive: true},
			paths:  []pw{at(".", "", ".", ".", "").op("list").isDir(dirSize(t, w, "."))},
			flat:   flat{path: ".", dir: ".", base: ".", all: l("."), bases: l(".")},
			act:    policy.Action{Kind: "list_dir", Path: ".", Recursive: true},
		},
		{
			name:   "list a directory with a trailing slash",
			action: Action{Kind: ListDir, Path: "src/"},
			paths:  []pw{at("src", "src", ".", "src", "", "src").op("list").isDir(dirSize(t, w, "src"))},
			flat:   flat{path: "src", top: "src", dir: ".", base: "src", segs: l("src"), all: l("src"), tops: l("src"), bases: l("src")},
			act:    policy.Action{Kind: "list_dir", Path: "src"},
		},
		{
			name:   "create a nested file",
			action: Action{Kind: WriteFile, Path: "deploy/staging/new.tar.gz", Content: []byte("a: 1\n"), Mode: 0o640},
			paths: []pw{at("deploy/staging/new.tar.gz", "deploy", "deploy/staging", "new.tar.gz", ".gz", "deploy", "staging", "new.tar.gz").op("create").
				diff("--- a/deploy/staging/new.tar.gz\n+++ b/deploy/staging/new.tar.gz\n@@ -0,0 +1 @@\n+a: 1\n", 1, 0)},
			flat: flat{path: "deploy/staging/new.tar.gz", top: "deploy", dir: "deploy/staging", base: "new.tar.gz", ext: ".gz",
				segs: l("deploy", "staging", "new.tar.gz"), all: l("deploy/staging/new.tar.gz"), tops: l("deploy"), bases: l("new.tar.gz"),
				exts: l(".gz"), wrt: l("deploy/staging/new.tar.gz"), mutating: true, changed: 1, added: 1},
			changes: []files.Change{{Path: "deploy/staging/new.tar.gz", Op: "create", Content: []byte("a: 1\n"), Mode: 0o640}},
			act:     policy.Action{Kind: "write_file", Path: "deploy/staging/new.tar.gz", Mode: 0o640, ContentBytes: 5},
		},
		{
			name:   "overwrite a root-level file",
			action: Action{Kind: WriteFile, Path: "README.md", Content: []byte("# demo\nmore\n"), ExpectedSHA256: sha(readme)},
			paths: []pw{at("README.md", "README.md", ".", "README.md", ".md", "README.md").op("write").file(readme, true).
				diff("--- a/README.md\n+++ b/README.md\n@@ -1 +1,2 @@\n # demo\n+more\n", 1, 0)},
			flat: flat{path: "README.md", top: "README.md", dir: ".", base: "README.md", ext: ".md", segs: l("README.md"), all: l("README.md"),
				tops: l("README.md"), bases: l("README.md"), exts: l(".md"), wrt: l("README.md"), mutating: true, changed: 1, added: 1},
			changes: []files.Change{{Path: "README.md", Op: "modify", Content: []byte("# demo\nmore\n"), ExpectedSHA256: sha(readme)}},
			act:     policy.Action{Kind: "write_file", Path: "README.md", ContentBytes: 12, ExpectedSHA256: sha(readme)},
		},
		{
			name:   "binary content has no diff",
			action: Action{Kind: WriteFile, Path: "README.md", Content: []byte("\x00\xff")},
			paths:  []pw{at("README.md", "README.md", ".", "README.md", ".md", "README.md").op("write").file(readme, true).binary()},
			flat: flat{path: "README.md", top: "README.md", dir: ".", base: "README.md", ext: ".md", segs: l("README.md"), all: l("README.md"),
				tops: l("README.md"), bases: l("README.md"), exts: l(".md"), wrt: l("README.md"), mutating: true, changed: 1},
			changes: []files.Change{{Path: "README.md", Op: "modify", Content: []byte("\x00\xff"), ExpectedSHA256: sha(readme)}},
			act:     policy.Action{Kind: "write_file", Path: "README.md", ContentBytes: 2},
		},
		{
			name:   "edit one occurrence",
			action: Action{Kind: EditFile, Path: "src/app/main.go", OldText: "func main() {}", NewText: "func main() { run() }"},
			paths: []pw{at("src/app/main.go", "src", "src/app", "main.go", ".go", "src", "app", "main.go").op("write").file(mainGo, true).
				diff("--- a/src/app/main.go\n+++ b/src/app/main.go\n@@ -1,3 +1,3 @@\n package main\n \n-func main() {}\n+func main() { run() }\n", 1, 1)},
			flat: flat{path: "src/app/main.go", top: "src", dir: "src/app", base: "main.go", ext: ".go", segs: l("src", "app", "main.go"),
				all: l("src/app/main.go"), tops: l("src"), bases: l("main.go"), exts: l(".go"), wrt: l("src/app/main.go"),
				mutating: true, changed: 1, added: 1, removed: 1},
			changes: []files.Change{{Path: "src/app/main.go", Op: "modify", Content: []byte("package main\n\nfunc main() { run() }\n"), ExpectedSHA256: sha(mainGo)}},
			act:     policy.Action{Kind: "edit_file", Path: "src/app/main.go"},
			repl:    1,
		},
		{
			name:   "edit every occurrence",
			action: Action{Kind: EditFile, Path: "dup.txt", OldText: "a", NewText: "b", ReplaceAll: true},
			paths: []pw{at("dup.txt", "dup.txt", ".", "dup.txt", ".txt", "dup.txt").op("write").file(dupTxt, true).
				diff("--- a/dup.txt\n+++ b/dup.txt\n@@ -1,2 +1,2 @@\n-a\n-a\n+b\n+b\n", 2, 2)},
			flat: flat{path: "dup.txt", top: "dup.txt", dir: ".", base: "dup.txt", ext: ".txt", segs: l("dup.txt"), all: l("dup.txt"), tops: l("dup.txt"), bases: l("dup.txt"),
				exts: l(".txt"), wrt: l("dup.txt"), mutating: true, changed: 1, added: 2, removed: 2},
			changes: []files.Change{{Path: "dup.txt", Op: "modify", Content: []byte("b\nb\n"), ExpectedSHA256: sha(dupTxt)}},
			act:     policy.Action{Kind: "edit_file", Path: "dup.txt", ReplaceAll: true},
			repl:    2,
		},
		{
			name:   "delete a nested file",
			action: Action{Kind: DeleteFile, Path: "deploy/prod/app.yaml"},
			paths: []pw{at("deploy/prod/app.yaml", "deploy", "deploy/prod", "app.yaml", ".yaml", "deploy", "prod", "app.yaml").op("delete").file(appYAML, true).
				diff("--- a/deploy/prod/app.yaml\n+++ b/deploy/prod/app.yaml\n@@ -1,2 +0,0 @@\n-replicas: 1\n-image: shop:1\n", 0, 2)},
			flat: flat{path: "deploy/prod/app.yaml", top: "deploy", dir: "deploy/prod", base: "app.yaml", ext: ".yaml",
				segs: l("deploy", "prod", "app.yaml"), all: l("deploy/prod/app.yaml"), tops: l("deploy"), bases: l("app.yaml"),
				exts: l(".yaml"), wrt: l("deploy/prod/app.yaml"), mutating: true, changed: 1, removed: 2},
			act: policy.Action{Kind: "delete_file", Path: "deploy/prod/app.yaml"},
		},
		{
			name:   "move a root file into a new directory",
			action: Action{Kind: MoveFile, Path: "README.md", ToPath: "docs/README.md", Overwrite: true},
			paths: []pw{
				at("README.md", "README.md", ".", "README.md", ".md", "README.md").op("move_from").file(readme, true),
				at("docs/README.md", "docs", "docs", "README.md", ".md", "docs", "README.md").op("move_to"),
			},
			flat: flat{path: "README.md", top: "README.md", dir: ".", base: "README.md", ext: ".md", segs: l("README.md"),
				all: l("README.md", "docs/README.md"), tops: l("README.md", "docs"), bases: l("README.md"), exts: l(".md"),
				wrt: l("README.md", "docs/README.md"), mutating: true, changed: 1},
			act: policy.Action{Kind: "move_file", Path: "README.md", ToPath: "docs/README.md", Overwrite: true},
		},
		{
			name:   "make a nested directory",
			action: Action{Kind: MakeDir, Path: "a/b/"},
			paths:  []pw{at("a/b", "a", "a", "b", "", "a", "b").op("create")},
			flat:   flat{path: "a/b", top: "a", dir: "a", base: "b", segs: l("a", "b"), all: l("a/b"), tops: l("a"), bases: l("b"), wrt: l("a/b"), mutating: true},
			act:    policy.Action{Kind: "make_dir", Path: "a/b"},
		},
		{
			name:   "patch two files",
			action: Action{Kind: ApplyPatch, Patch: patch},
			paths: []pw{
				at("README.md", "README.md", ".", "README.md", ".md", "README.md").op("write").file(readme, true).
					diff("--- a/README.md\n+++ b/README.md\n@@ -1 +1,2 @@\n # demo\n+more\n", 1, 0),
				at("src/app/new.go", "src", "src/app", "new.go", ".go", "src", "app", "new.go").op("create").
					diff("--- a/src/app/new.go\n+++ b/src/app/new.go\n@@ -0,0 +1 @@\n+package app\n", 1, 0),
			},
			flat: flat{path: "README.md", top: "README.md", dir: ".", base: "README.md", ext: ".md", segs: l("README.md"),
				all: l("README.md", "src/app/new.go"), tops: l("README.md", "src"), bases: l("README.md", "new.go"), exts: l(".go", ".md"),
				wrt: l("README.md", "src/app/new.go"), mutating: true, changed: 2, added: 2},
			changes: []files.Change{
				{Path: "README.md", Op: "modify", Content: []byte("# demo\nmore\n"), ExpectedSHA256: sha(readme)},
				{Path: "src/app/new.go", Op: "create", Content: []byte("package app\n")},
			},
			act: policy.Action{Kind: "apply_patch", Path: "README.md"},
		},
		{
			name:   "patch deleting a file",
			action: Action{Kind: ApplyPatch, Patch: "--- a/dup.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-a\n"},
			paths: []pw{at("dup.txt", "dup.txt", ".", "dup.txt", ".txt", "dup.txt").op("delete").file(dupTxt, true).
				diff("--- a/dup.txt\n+++ b/dup.txt\n@@ -1,2 +0,0 @@\n-a\n-a\n", 0, 2)},
			flat: flat{path: "dup.txt", top: "dup.txt", dir: ".", base: "dup.txt", ext: ".txt", segs: l("dup.txt"), all: l("dup.txt"), tops: l("dup.txt"), bases: l("dup.txt"),
				exts: l(".txt"), wrt: l("dup.txt"), mutating: true, changed: 1, removed: 2},
			changes: []files.Change{{Path: "dup.txt", Op: "delete", ExpectedSHA256: sha(dupTxt)}},
			act:     policy.Action{Kind: "apply_patch", Path: "dup.txt"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := w.build(t, tc.action)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if p.Deferred != nil {
				t.Fatalf("Deferred = %v, want nil", p.Deferred)
			}
			got := p.Facts
			if len(got.Digest) != 64 || strings.Trim(got.Digest, "0123456789abcdef") != "" {
				t.Errorf("Digest = %q, want 64 lower-case hex digits", got.Digest)
			}
			got.Digest = ""
			if want := tc.flat.plan(tc.paths); !reflect.DeepEqual(got, want) {
				t.Errorf("Facts mismatch\n got: %+v\nwant: %+v", got, want)
			}
			if len(p.Changes) != len(tc.changes) {
				t.Fatalf("Changes = %+v, want %+v", p.Changes, tc.changes)
			}
			for i, c := range p.Changes {
				wc := tc.changes[i]
				if c.Path != wc.Path || c.Op != wc.Op || string(c.Content) != string(wc.Content) ||
					c.ExpectedSHA256 != wc.ExpectedSHA256 || c.Mode != wc.Mode {
					t.Errorf("Changes[%d] = %+v, want %+v", i, c, wc)
				}
			}
			if p.Action.Kind != tc.act.Kind || p.Action.Path != tc.act.Path || p.Action.ToPath != tc.act.ToPath ||
				p.Action.Offset != tc.act.Offset || p.Action.Limit != tc.act.Limit || p.Action.Mode != tc.act.Mode ||
				p.Action.ReplaceAll != tc.act.ReplaceAll || p.Action.Overwrite != tc.act.Overwrite ||
				p.Action.Recursive != tc.act.Recursive || p.Action.ContentBytes != tc.act.ContentBytes ||
				p.Action.ExpectedSHA256 != tc.act.ExpectedSHA256 {
				t.Errorf("Action = %+v, want %+v", p.Action, tc.act)
			}
			if p.Replacements != tc.repl {
				t.Errorf("Replacements = %d, want %d", p.Replacements, tc.repl)
			}
			for _, pp := range got.Paths {
				if h, ok := p.Observed[pp.Path]; !ok || h != pp.SHA256 {
					t.Errorf("Observed[%q] = %q, %v; want %q", pp.Path, h, ok, pp.SHA256)
				}
			}
			if len(p.Observed) != len(got.Paths) {
				t.Errorf("Observed = %v, want one entry per path", p.Observed)
			}
		})
	}
	if after := w.snapshot(t); !reflect.DeepEqual(before, after) {
		t.Fatalf("planning changed the workspace:\nbefore %v\nafter  %v", before, after)
	}
}

func TestBuildExec(t *testing.T) {
	w := newWorkspace(t)
	cases := []struct {
		name      string
		action    Action
		wantPath  string
		wantNames []string
		writes    []string
		deferred  files.Code
	}{
		{name: "script in the root", action: Action{Kind: Exec, Script: "go test ./... > out.txt && echo done"},
			wantPath: ".", wantNames: l("echo", "go"), writes: l("out.txt")},
		{name: "script in a subdirectory", action: Action{Kind: Exec, Script: "cat main.go | wc -l > count", Cwd: "src/app/", Shell: "bash"},
			wantPath: "src/app", wantNames: l("cat", "wc"), writes: l("src/app/count")},
		{name: "argv", action: Action{Kind: Exec, Argv: l("ls", "-la"), Cwd: "src"},
			wantPath: "src", wantNames: l("ls"), writes: []string{}},
		{name: "cwd that is a file is deferred", action: Action{Kind: Exec, Argv: l("ls"), Cwd: "README.md"},
			wantPath: "README.md", wantNames: l("ls"), writes: []string{}, deferred: files.WrongType},
		{name: "missing cwd is deferred", action: Action{Kind: Exec, Argv: l("ls"), Cwd: "nope"},
			wantPath: "nope", wantNames: l("ls"), writes: []string{}, deferred: files.WrongType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := w.build(t, tc.action)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if got := files.CodeOf(p.Deferred); got != tc.deferred {
				t.Errorf("Deferred = %v (%v), want %v", p.Deferred, got, tc.deferred)
			}
			f := p.Facts
			if f.Command == nil {
				t.Fatal("Facts.Command is nil")
			}
			if f.Path != tc.wantPath || p.Action.Path != tc.wantPath || p.Action.Cwd != tc.wantPath {
				t.Errorf("Facts.Path = %q, Action.Path = %q, Action.Cwd = %q; want %q", f.Path, p.Action.Path, p.Action.Cwd, tc.wantPath)
			}
			if f.Paths[0].Op != "exec" || !f.Mutating || len(f.WrittenPaths) != 0 {
				t.Errorf("op %q, mutating %v, written %v; want exec, true, none", f.Paths[0].Op, f.Mutating, f.WrittenPaths)
			}
			if !reflect.DeepEqual(f.Command.Names, tc.wantNames) {
				t.Errorf("Command.Names = %v, want %v", f.Command.Names, tc.wantNames)
			}
			if !reflect.DeepEqual(f.Command.RedirectWrites, tc.writes) {
				t.Errorf("Command.RedirectWrites = %v, want %v", f.Command.RedirectWrites, tc.writes)
			}
			if p.Action.Script != tc.action.Script || !reflect.DeepEqual(p.Action.Argv, tc.action.Argv) {
				t.Errorf("Action = %+v does not echo the script or argv", p.Action)
			}
		})
	}
}

func TestMutating(t *testing.T) {
	cases := []struct {
		name string
		kind Kind
		want bool
	}{
		{name: "read", kind: ReadFile},
		{name: "list", kind: ListDir},
		{name: "write", kind: WriteFile, want: true},
		{name: "edit", kind: EditFile, want: true},
		{name: "delete", kind: DeleteFile, want: true},
		{name: "move", kind: MoveFile, want: true},
		{name: "mkdir", kind: MakeDir, want: true},
		{name: "patch", kind: ApplyPatch, want: true},
		{name: "exec", kind: Exec, want: true},
		{name: "unknown kinds are mutating", kind: "frobnicate", want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.kind.Mutating(); got != tc.want {
				t.Fatalf("%s.Mutating() = %v, want %v", tc.kind, got, tc.want)
			}
		})
	}
}
