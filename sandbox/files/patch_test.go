package files

import (
	"strings"
	"testing"
)

const gitPatch = `From 1234 Mon Sep 17 00:00:00 2001
Subject: [PATCH] change things

---
diff --git a/src/main.go b/src/main.go
index 83db48f..bf269f4 100644
--- a/src/main.go
+++ b/src/main.go
@@ -1,3 +1,3 @@
 package main
-var x = 1
+var x = 2
 // end
diff --git a/new.txt b/new.txt
new file mode 100644
--- /dev/null
+++ b/new.txt
@@ -0,0 +1,2 @@
+hello
+world
\ No newline at end of file
diff --git a/old.txt b/old.txt
deleted file mode 100644
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
--- dashes
-- 
2.40.0
`

func TestParsePatch(t *testing.T) {
	p, err := ParsePatch(gitPatch)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ old, new, op string }{
		{"src/main.go", "src/main.go", OpModify},
		{"", "new.txt", OpCreate},
		{"old.txt", "", OpDelete},
	}
	if len(p.Files) != len(want) {
		t.Fatalf("%d files", len(p.Files))
	}
	for i, w := range want {
		f := p.Files[i]
		if f.OldPath != w.old || f.NewPath != w.new || f.Op != w.op {
			t.Fatalf("file %d = %+v", i, f)
		}
	}
	applyTests := []struct {
		name     string
		file     int
		old, new string
	}{
		{name: "modify", file: 0, old: "package main\nvar x = 1\n// end\n", new: "package main\nvar x = 2\n// end\n"},
		{name: "create without final newline", file: 1, old: "", new: "hello\nworld"},
		{name: "delete a line that starts with dashes", file: 2, old: "-- dashes\n", new: ""},
	}
	for _, tc := range applyTests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Files[tc.file].Apply([]byte(tc.old))
			if err != nil || string(got) != tc.new {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestParsePatchPlainDiff(t *testing.T) {
	// diff -u output: no a/ b/ prefixes, timestamps after a tab.
	p, err := ParsePatch("--- dir/f.txt\t2026-01-01 00:00:00.000000000 +0000\n+++ dir/f.txt\t2026-01-02 00:00:00.000000000 +0000\n@@ -1 +1 @@\n-a\n+b\n")
	if err != nil || p.Files[0].Path() != "dir/f.txt" || p.Files[0].Op != OpModify {
		t.Fatalf("%+v, %v", p, err)
	}
}

func TestParsePatchInvalid(t *testing.T) {
	hdr := "--- a/f\n+++ b/f\n"
	tests := []struct {
		name, patch, msg string
		code             Code
	}{
		{name: "empty", patch: "", msg: "no file changes"},
		{name: "prose only", patch: "hello\nworld\n", msg: "no file changes"},
		{name: "too few lines", patch: hdr + "@@ -1,2 +1,2 @@\n a\n-b\n", msg: "line 5: hunk 1 ends early"},
		{name: "extra lines", patch: hdr + "@@ -1 +1 @@\n-a\n+b\n+c\n", msg: "line 6: hunk 1 has more lines"},
		{name: "extra context", patch: hdr + "@@ -1 +1 @@\n-a\n+b\n c\n", msg: "line 6"},
		{name: "bad body line", patch: hdr + "@@ -1,2 +1,2 @@\n a\n*b\n", msg: "line 5"},
		{name: "malformed header", patch: hdr + "@@ -x +1 @@\n", msg: "line 3: malformed hunk header"},
		{name: "huge number", patch: hdr + "@@ -99999999999999999999 +1 @@\n-a\n+b\n", msg: "out of range"},
		{name: "rename", patch: "diff --git a/x b/y\nsimilarity index 100%\nrename from x\nrename to y\n", msg: "renames not supported; use move_file"},
		{name: "rename by headers", patch: "--- a/x\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n", msg: "renames not supported"},
		{name: "binary", patch: "diff --git a/x b/x\nBinary files a/x and b/x differ\n", msg: "binary"},
		{name: "git header without content", patch: "diff --git a/e b/e\nnew file mode 100644\nindex 0000000..e69de29\n", msg: "line 1: git header"},
		{name: "hunk without file", patch: "@@ -1 +1 @@\n-a\n+b\n", msg: "line 1"},
		{name: "duplicate file", patch: hdr + "@@ -1 +1 @@\n-a\n+b\n" + hdr + "@@ -1 +1 @@\n-a\n+b\n", msg: "appears twice"},
		{name: "overlapping hunks", patch: hdr + "@@ -1,2 +1,2 @@\n a\n-b\n+c\n@@ -2 +2 @@\n-b\n+c\n", msg: "overlaps"},
		{name: "misplaced no-newline", patch: hdr + "@@ -1 +1 @@\n\\ No newline at end of file\n-a\n+b\n", msg: "misplaced"},
		{name: "content after end of file", patch: hdr + "@@ -1,2 +1,2 @@\n-a\n\\ No newline at end of file\n-b\n+c\n+d\n", msg: "continues after"},
		{name: "both dev null", patch: "--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+a\n", msg: "both sides"},
		{name: "modify without hunks", patch: hdr, msg: "no hunks"},
		{name: "create with old lines", patch: "--- /dev/null\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n", msg: "new file has old lines"},
		{name: "root target", patch: "--- a/.\n+++ b/.\n@@ -1 +1 @@\n-a\n+b\n", msg: "workspace root"},
		{name: "nul in path", patch: "--- a/f\x00\n+++ b/f\x00\n@@ -1 +1 @@\n-a\n+b\n", msg: "line 1: path contains a NUL byte", code: InvalidPath},
		{name: "absolute path", patch: "--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n", msg: "line 1: absolute", code: Escape},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePatch(tc.patch)
			want := tc.code
			if want == OK {
				want = PatchInvalid
			}
			wantCode(t, err, want)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("message %q does not contain %q", err.Error(), tc.msg)
			}
		})
	}
}

func TestApplyConflict(t *testing.T) {
	tests := []struct {
		name, patch, old, msg string
	}{
		{name: "context differs", patch: "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n", old: "A\nb\n", msg: "hunk 1 (@@ -1,2 +1,2 @@) does not match the file at line 1"},
		{name: "wrong line", patch: "--- a/f\n+++ b/f\n@@ -2 +2 @@\n-b\n+c\n", old: "b\nx\n", msg: "hunk 1"},
		{name: "past end", patch: "--- a/f\n+++ b/f\n@@ -9 +9 @@\n-b\n+c\n", old: "b\n", msg: "file has 1 lines"},
		{name: "newline differs", patch: "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-b\n+c\n", old: "b", msg: "does not match"},
		{name: "second hunk", patch: "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+A\n@@ -3 +3 @@\n-c\n+C\n", old: "a\nb\nX\n", msg: "hunk 2"},
		{name: "create over content", patch: "--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+a\n", old: "x\n", msg: "already has content"},
		{name: "delete leaves content", patch: "--- a/f\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n", old: "a\nb\n", msg: "does not remove all"},
		{name: "no newline mid file", patch: "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n\\ No newline at end of file\n", old: "a\nz\n", msg: "not at the end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePatch(tc.patch)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Files[0].Apply([]byte(tc.old))
			wantCode(t, err, PatchConflict)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("message %q does not contain %q", err.Error(), tc.msg)
			}
		})
	}
}
