package files

import (
	"strings"
	"testing"
)

func FuzzClean(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "a/../../x", "/etc/passwd", ".", "", "a\x00b", "a//b/./c/..", `a\b`,
		strings.Repeat("a/", 2049), "..a/b..", "./../.", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := cleanPath("fuzz", p)
		if err != nil {
			if got != "" {
				t.Fatalf("result %q alongside error", got)
			}
			if CodeOf(err) != InvalidPath && CodeOf(err) != Escape {
				t.Fatalf("unexpected code %v", CodeOf(err))
			}
			return
		}
		if strings.ContainsRune(p, 0) {
			t.Fatalf("accepted NUL in %q", p)
		}
		// "..a" is an ordinary file name, so the property is about the ".." segment, not the two bytes.
		if got == "" || strings.HasPrefix(got, "/") || got == ".." || strings.HasPrefix(got, "../") {
			t.Fatalf("Clean(%q) = %q", p, got)
		}
		for seg := range strings.SplitSeq(got, "/") {
			if seg == ".." || seg == "" || (seg == "." && got != ".") {
				t.Fatalf("Clean(%q) = %q has segment %q", p, got, seg)
			}
		}
		if again, err := cleanPath("fuzz", got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q, %v", got, again, err)
		}
	})
}

func FuzzParsePatch(f *testing.F) {
	f.Add(gitPatch, "package main\nvar x = 1\n// end\n")
	f.Add("--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n", "a\nb")
	f.Add("--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+x\n", "")
	f.Add("--- a/f\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n", "x\n")
	f.Fuzz(func(t *testing.T, patch, old string) {
		p, err := ParsePatch(patch)
		if err != nil {
			if c := CodeOf(err); c != PatchInvalid && c != InvalidPath && c != Escape {
				t.Fatalf("unexpected code %v: %v", c, err)
			}
			return
		}
		for i := range p.Files {
			fp := &p.Files[i]
			if fp.Path() == "" || strings.HasPrefix(fp.Path(), "/") || strings.HasPrefix(fp.Path(), "..") {
				t.Fatalf("bad path %q", fp.Path())
			}
			out, err := fp.Apply([]byte(old))
			if err != nil {
				if CodeOf(err) != PatchConflict {
					t.Fatalf("unexpected code %v: %v", CodeOf(err), err)
				}
				continue
			}
			if fp.Op == OpDelete && len(out) != 0 {
				t.Fatal("delete left content")
			}
		}
	})
}
