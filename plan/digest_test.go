package plan

import (
	"testing"
)

func TestDigest(t *testing.T) {
	write := Action{Kind: WriteFile, Path: "README.md", Content: []byte("new\n")}
	edit := Action{Kind: EditFile, Path: "src/app/main.go", OldText: "main()", NewText: "run()"}
	cases := []struct {
		name     string
		a, b     Action
		wsA, wsB string
		// between runs after planning a and before planning b.
		between func(t *testing.T, w *workspace)
		same    bool
	}{
		{name: "same write, same state", a: write, b: write, same: true},
		{name: "same edit, same state", a: edit, b: edit, same: true},
		{name: "unclean path plans like the clean one", a: write, b: with(write, func(a *Action) { a.Path = "./x/../README.md" }), same: true},
		{name: "same exec", a: Action{Kind: Exec, Script: "make test"}, b: Action{Kind: Exec, Script: "make test"}, same: true},
		{name: "read ignores content it did not hash", a: Action{Kind: ReadFile, Path: "README.md"}, b: Action{Kind: ReadFile, Path: "README.md"},
			between: func(t *testing.T, w *workspace) { w.write(t, "README.md", "# DEMO\n") }, same: true},
		{name: "content", a: write, b: with(write, func(a *Action) { a.Content = []byte("other\n") })},
		{name: "empty versus absent content", a: with(write, func(a *Action) { a.Content = nil }), b: with(write, func(a *Action) { a.Content = []byte{} }), same: true},
		{name: "path", a: write, b: with(write, func(a *Action) { a.Path = "dup.txt" })},
		{name: "workspace name", a: write, b: write, wsA: "demo", wsB: "demo-prod"},
		{name: "current content of the written file", a: write, b: write,
			between: func(t *testing.T, w *workspace) { w.write(t, "README.md", "# changed\n") }},
		{name: "written file appears", a: with(write, func(a *Action) { a.Path = "new.txt" }), b: with(write, func(a *Action) { a.Path = "new.txt" }),
			between: func(t *testing.T, w *workspace) { w.write(t, "new.txt", "") }},
		{name: "current content of the edited file", a: edit, b: edit,
			between: func(t *testing.T, w *workspace) {
				w.write(t, "src/app/main.go", "package main\n\nfunc main() { x() }\n")
			}},
		{name: "current content of a deleted file", a: Action{Kind: DeleteFile, Path: "dup.txt"}, b: Action{Kind: DeleteFile, Path: "dup.txt"},
			between: func(t *testing.T, w *workspace) { w.write(t, "dup.txt", "b\n") }},
		{name: "current content of a moved file", a: Action{Kind: MoveFile, Path: "dup.txt", ToPath: "d.txt"}, b: Action{Kind: MoveFile, Path: "dup.txt", ToPath: "d.txt"},
			between: func(t *testing.T, w *workspace) { w.write(t, "dup.txt", "b\n") }},
		{name: "move destination", a: Action{Kind: MoveFile, Path: "dup.txt", ToPath: "d.txt"}, b: Action{Kind: MoveFile, Path: "dup.txt", ToPath: "e.txt"}},
		{name: "old text", a: edit, b: with(edit, func(a *Action) { a.OldText = "main() " })},
		{name: "new text", a: edit, b: with(edit, func(a *Action) { a.NewText = "start()" })},
		{name: "replace all", a: edit, b: with(edit, func(a *Action) { a.ReplaceAll = true })},
		{name: "expected sha", a: write, b: with(write, func(a *Action) { a.ExpectedSHA256 = sha(readme) })},
		{name: "create only", a: write, b: with(write, func(a *Action) { a.CreateOnly = true })},
		{name: "mode", a: write, b: with(write, func(a *Action) { a.Mode = 0o755 })},
		{name: "kind", a: Action{Kind: ReadFile, Path: "README.md"}, b: Action{Kind: DeleteFile, Path: "README.md"}},
		{name: "read range", a: Action{Kind: ReadFile, Path: "README.md"}, b: Action{Kind: ReadFile, Path: "README.md", Offset: 1}},
		{name: "patch", a: Action{Kind: ApplyPatch, Patch: "--- a/dup.txt\n+++ b/dup.txt\n@@ -1 +1 @@\n-a\n+b\n"},
			b: Action{Kind: ApplyPatch, Patch: "--- a/dup.txt\n+++ b/dup.txt\n@@ -1 +1 @@\n-a\n+c\n"}},
		{name: "script", a: Action{Kind: Exec, Script: "make test"}, b: Action{Kind: Exec, Script: "make lint"}},
		{name: "argv", a: Action{Kind: Exec, Argv: []string{"rm", "a b"}}, b: Action{Kind: Exec, Argv: []string{"rm", "a", "b"}}},
		{name: "exec env", a: Action{Kind: Exec, Script: "make"}, b: Action{Kind: Exec, Script: "make", Env: map[string]string{"X": "1"}}},
		{name: "exec stdin", a: Action{Kind: Exec, Script: "cat"}, b: Action{Kind: Exec, Script: "cat", Stdin: []byte("x")}},
		{name: "exec cwd", a: Action{Kind: Exec, Script: "ls"}, b: Action{Kind: Exec, Script: "ls", Cwd: "src"}},
		{name: "exec timeout", a: Action{Kind: Exec, Script: "ls"}, b: Action{Kind: Exec, Script: "ls", TimeoutMS: 5}},
		{name: "exec shell", a: Action{Kind: Exec, Script: "ls"}, b: Action{Kind: Exec, Script: "ls", Shell: "bash"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorkspace(t)
			wsA, wsB := or(tc.wsA, "demo"), or(tc.wsB, "demo")
			pa, err := Build(w.root, wsA, &tc.a, w.root.Limits())
			if err != nil {
				t.Fatalf("Build(a): %v", err)
			}
			if tc.between != nil {
				tc.between(t, w)
			}
			pb, err := Build(w.root, wsB, &tc.b, w.root.Limits())
			if err != nil {
				t.Fatalf("Build(b): %v", err)
			}
			if same := pa.Facts.Digest == pb.Facts.Digest; same != tc.same {
				t.Fatalf("digests %s and %s: equal = %v, want %v", pa.Facts.Digest, pb.Facts.Digest, same, tc.same)
			}
		})
	}
}

func with(a Action, f func(*Action)) Action {
	f(&a)
	return a
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
