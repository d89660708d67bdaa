package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/sandbox/files"
)

var fuzzKinds = []Kind{ReadFile, WriteFile, EditFile, DeleteFile, MoveFile, MakeDir, ListDir, ApplyPatch, Exec, "bogus"}

// FuzzBuild feeds hostile strings to every kind: planning must never panic,
// and a plan must only ever name clean workspace-relative paths.
func FuzzBuild(f *testing.F) {
	seeds := []struct {
		kind                             uint8
		path, to, content, old, new, pat string
	}{
		{0, "README.md", "", "", "", "", ""},
		{0, "../x", "", "", "", "", ""},
		{0, "/etc/passwd", "", "", "", "", ""},
		{0, "out/secret", "", "", "", "", ""},
		{1, "a/b/../../../x", "", "x", "", "", ""},
		{1, "a\x00b", "", "x", "", "", ""},
		{2, "dup.txt", "", "", "a", "b", ""},
		{3, ".", "", "", "", "", ""},
		{4, "README.md", "../README.md", "", "", "", ""},
		{4, "src", "src/x", "", "", "", ""},
		{5, "a//b/./c/", "", "", "", "", ""},
		{6, "", "", "", "", "", ""},
		{7, "", "", "", "", "", "--- a/README.md\n+++ b/README.md\n@@ -1 +1,2 @@\n # demo\n+more\n--- /dev/null\n+++ b/../x\n@@ -0,0 +1 @@\n+x\n"},
		{7, "", "", "", "", "", "--- \"a/\\x2e\\x2e/x\"\n+++ \"b/\\x2e\\x2e/x\"\n@@ -1 +1 @@\n-a\n+b\n"},
		{8, "src", "", "cd .. && cat ../../etc/passwd > ../out.txt", "", "", ""},
		{8, "..", "", "ls", "", "", ""},
		{9, "README.md", "", "", "", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.kind, s.path, s.to, s.content, s.old, s.new, s.pat)
	}
	w := newWorkspace(f)
	lim := files.Limits{MaxFileBytes: 1 << 16, MaxDiffBytes: 4096}.WithDefaults()
	f.Fuzz(func(t *testing.T, kind uint8, p, to, content, old, new, patch string) {
		a := &Action{
			Kind: fuzzKinds[int(kind)%len(fuzzKinds)], Path: p, ToPath: to, Content: []byte(content),
			OldText: old, NewText: new, Patch: patch, Script: content, Cwd: p,
			Argv: strings.Fields(old), ReplaceAll: kind&0x80 != 0, Overwrite: kind&0x40 != 0,
		}
		pl, err := Build(w.root, "demo", a, lim)
		if err != nil {
			if pl != nil {
				t.Fatalf("Build returned a plan and error %v", err)
			}
			var ce *CommandError
			if files.CodeOf(err) == files.Internal && !errors.As(err, &ce) {
				t.Fatalf("Build error %v (%T) is neither a files.Error nor a *CommandError", err, err)
			}
			return
		}
		facts := pl.Facts
		names := []string{facts.Path, pl.Action.Path}
		if pl.Action.ToPath != "" {
			names = append(names, pl.Action.ToPath)
		}
		for _, pp := range facts.Paths {
			names = append(names, pp.Path)
		}
		for _, c := range pl.Changes {
			names = append(names, c.Path)
		}
		for k := range pl.Observed {
			names = append(names, k)
		}
		names = append(names, facts.AllPaths...)
		names = append(names, facts.WrittenPaths...)
		for _, n := range names {
			if n == "" || strings.HasPrefix(n, "/") || strings.ContainsRune(n, 0) || strings.ContainsRune(n, '\\') {
				t.Fatalf("plan names path %q", n)
			}
			for seg := range strings.SplitSeq(n, "/") {
				if seg == ".." || seg == "" || (seg == "." && n != ".") {
					t.Fatalf("plan names unclean path %q", n)
				}
			}
		}
		if len(facts.Digest) != 64 {
			t.Fatalf("Digest = %q", facts.Digest)
		}
		if facts.Mutating != a.Kind.Mutating() {
			t.Fatalf("Mutating = %v for %s", facts.Mutating, a.Kind)
		}
	})
}
