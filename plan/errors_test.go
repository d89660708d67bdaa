package plan

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/plan/shell"
	"github.com/airlock-dev/airlock/sandbox/files"
)

// Content-dependent failures must not fail planning: the policy judges the
// action first, and only an allowed agent learns why it cannot be done.
func TestBuildDeferred(t *testing.T) {
	w := newWorkspace(t)
	before := w.snapshot(t)
	cases := []struct {
		name        string
		action      Action
		code        files.Code
		matches     int
		wantPath    string // Facts.Path, still filled for the policy
		wantChanges int
	}{
		{name: "read missing file", action: Action{Kind: ReadFile, Path: "nope.txt"}, code: files.NotFound, wantPath: "nope.txt"},
		{name: "read under a file", action: Action{Kind: ReadFile, Path: "README.md/x"}, code: files.NotFound, wantPath: "README.md/x"},
		{name: "read a directory", action: Action{Kind: ReadFile, Path: "src"}, code: files.WrongType, wantPath: "src"},
		{name: "edit missing file", action: Action{Kind: EditFile, Path: "src/nope.go", OldText: "a", NewText: "b"}, code: files.NotFound, wantPath: "src/nope.go"},
		{name: "edit a directory", action: Action{Kind: EditFile, Path: "src", OldText: "a", NewText: "b"}, code: files.WrongType, wantPath: "src"},
		{name: "edit old text not found", action: Action{Kind: EditFile, Path: "README.md", OldText: "absent", NewText: "b"},
			code: files.EditMismatch, matches: 0, wantPath: "README.md"},
		{name: "edit old text ambiguous", action: Action{Kind: EditFile, Path: "dup.txt", OldText: "a", NewText: "b"},
			code: files.EditMismatch, matches: 2, wantPath: "dup.txt"},
		{name: "edit empty old text", action: Action{Kind: EditFile, Path: "dup.txt", NewText: "b"}, code: files.InvalidArgument, wantPath: "dup.txt"},
		{name: "edit binary file", action: Action{Kind: EditFile, Path: "data.BIN", OldText: "bin", NewText: "b"}, code: files.Binary, wantPath: "data.BIN"},
		{name: "edit expected sha mismatch", action: Action{Kind: EditFile, Path: "dup.txt", OldText: "a", NewText: "b", ReplaceAll: true, ExpectedSHA256: sha("other")},
			code: files.Changed, wantPath: "dup.txt"},
		{name: "delete missing file", action: Action{Kind: DeleteFile, Path: "deploy/nope.yaml"}, code: files.NotFound, wantPath: "deploy/nope.yaml"},
		{name: "delete expected sha mismatch", action: Action{Kind: DeleteFile, Path: "dup.txt", ExpectedSHA256: sha("other")}, code: files.Changed, wantPath: "dup.txt"},
		{name: "write create_only on existing file", action: Action{Kind: WriteFile, Path: "README.md", Content: []byte("x"), CreateOnly: true},
			code: files.Exists, wantPath: "README.md", wantChanges: 1},
		{name: "write expected sha mismatch", action: Action{Kind: WriteFile, Path: "README.md", Content: []byte("x"), ExpectedSHA256: sha("other")},
			code: files.Changed, wantPath: "README.md", wantChanges: 1},
		{name: "write expected sha of a missing file", action: Action{Kind: WriteFile, Path: "new.txt", Content: []byte("x"), ExpectedSHA256: sha("")},
			code: files.Changed, wantPath: "new.txt", wantChanges: 1},
		{name: "write over a directory", action: Action{Kind: WriteFile, Path: "empty", Content: []byte("x")}, code: files.WrongType, wantPath: "empty", wantChanges: 1},
		{name: "move missing source", action: Action{Kind: MoveFile, Path: "nope", ToPath: "x"}, code: files.NotFound, wantPath: "nope"},
		{name: "move onto existing file", action: Action{Kind: MoveFile, Path: "dup.txt", ToPath: "README.md"}, code: files.Exists, wantPath: "dup.txt"},
		{name: "mkdir over a file", action: Action{Kind: MakeDir, Path: "README.md"}, code: files.WrongType, wantPath: "README.md"},
		{name: "list missing directory", action: Action{Kind: ListDir, Path: "nope"}, code: files.NotFound, wantPath: "nope"},
		{name: "list a symlink out is not followed", action: Action{Kind: ListDir, Path: "out/."}, code: files.WrongType, wantPath: "out"},
		{name: "exec in a symlink out is not followed", action: Action{Kind: Exec, Argv: []string{"ls"}, Cwd: "out"}, code: files.WrongType, wantPath: "out"},
		{name: "edit a symlink out is not followed", action: Action{Kind: EditFile, Path: "out", OldText: "a"}, code: files.WrongType, wantPath: "out"},
		{name: "list a file", action: Action{Kind: ListDir, Path: "README.md"}, code: files.WrongType, wantPath: "README.md"},
		{name: "patch conflict", action: Action{Kind: ApplyPatch, Patch: "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# other\n+# x\n"},
			code: files.PatchConflict, wantPath: "README.md"},
		{name: "patch modifies a missing file", action: Action{Kind: ApplyPatch, Patch: "--- a/nope.txt\n+++ b/nope.txt\n@@ -1 +1 @@\n-a\n+b\n"},
			code: files.NotFound, wantPath: "nope.txt"},
		{name: "patch creates an existing file", action: Action{Kind: ApplyPatch, Patch: "--- /dev/null\n+++ b/dup.txt\n@@ -0,0 +1 @@\n+x\n"},
			code: files.Exists, wantPath: "dup.txt"},
		{name: "patch conflict in the second file keeps the first", action: Action{Kind: ApplyPatch, Patch: "--- a/dup.txt\n+++ b/dup.txt\n@@ -1,2 +1,2 @@\n-a\n-a\n+b\n+b\n" +
			"--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# other\n+# x\n"},
			code: files.PatchConflict, wantPath: "dup.txt", wantChanges: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := w.build(t, tc.action)
			if err != nil {
				t.Fatalf("Build = %v; want the failure deferred", err)
			}
			if got := files.CodeOf(p.Deferred); got != tc.code {
				t.Fatalf("Deferred = %v (%v), want %v", p.Deferred, got, tc.code)
			}
			var fe *files.Error
			if errors.As(p.Deferred, &fe) && fe.Matches != tc.matches {
				t.Errorf("Matches = %d, want %d", fe.Matches, tc.matches)
			}
			if p.Facts.Path != tc.wantPath {
				t.Errorf("Facts.Path = %q, want %q", p.Facts.Path, tc.wantPath)
			}
			if len(p.Facts.Digest) != 64 {
				t.Errorf("Digest = %q, want one even for a deferred failure", p.Facts.Digest)
			}
			if len(p.Changes) != tc.wantChanges {
				t.Errorf("Changes = %d, want %d", len(p.Changes), tc.wantChanges)
			}
		})
	}
	if after := w.snapshot(t); !reflect.DeepEqual(before, after) {
		t.Fatal("planning changed the workspace")
	}
}

// Requests that are wrong whatever the policy says fail planning with a
// code the server maps to a reason; an escape must never reach the policy as
// a plan.
func TestBuildRefuses(t *testing.T) {
	w := newWorkspace(t)
	before := w.snapshot(t)
	small := files.Limits{MaxFileBytes: 8}.WithDefaults()
	cases := []struct {
		name   string
		action Action
		lim    *files.Limits
		code   files.Code
	}{
		{name: "read parent", action: Action{Kind: ReadFile, Path: "../x"}, code: files.Escape},
		{name: "read climbing back", action: Action{Kind: ReadFile, Path: "src/../../ws/README.md"}, code: files.Escape},
		{name: "read absolute", action: Action{Kind: ReadFile, Path: "/etc/passwd"}, code: files.Escape},
		{name: "read through a symlink out", action: Action{Kind: ReadFile, Path: "out/secret"}, code: files.Escape},
		{name: "read NUL", action: Action{Kind: ReadFile, Path: "README.md\x00.txt"}, code: files.InvalidPath},
		{name: "read empty path", action: Action{Kind: ReadFile}, code: files.InvalidPath},
		{name: "read backslash", action: Action{Kind: ReadFile, Path: `..\x`}, code: files.InvalidPath},
		{name: "read control character", action: Action{Kind: ReadFile, Path: "a\nb"}, code: files.InvalidPath},
		{name: "read bidi override", action: Action{Kind: ReadFile, Path: "a\u202eb"}, code: files.InvalidPath},
		{name: "read invalid UTF-8", action: Action{Kind: ReadFile, Path: "a\xffb"}, code: files.InvalidPath},
		{name: "write parent", action: Action{Kind: WriteFile, Path: "../x", Content: []byte("x")}, code: files.Escape},
		{name: "write absolute", action: Action{Kind: WriteFile, Path: "/tmp/x", Content: []byte("x")}, code: files.Escape},
		{name: "write through a symlink out", action: Action{Kind: WriteFile, Path: "out/new", Content: []byte("x")}, code: files.Escape},
		{name: "write too large", action: Action{Kind: WriteFile, Path: "big", Content: []byte("123456789")}, lim: &small, code: files.TooLarge},
		{name: "edit NUL", action: Action{Kind: EditFile, Path: "\x00", OldText: "a"}, code: files.InvalidPath},
		{name: "edit parent", action: Action{Kind: EditFile, Path: "a/../../x", OldText: "a"}, code: files.Escape},
		{name: "delete the root", action: Action{Kind: DeleteFile, Path: "."}, code: files.InvalidPath},
		{name: "delete the root uncleanly", action: Action{Kind: DeleteFile, Path: "src/.."}, code: files.InvalidPath},
		{name: "delete absolute", action: Action{Kind: DeleteFile, Path: "/etc/passwd"}, code: files.Escape},
		{name: "move to parent", action: Action{Kind: MoveFile, Path: "README.md", ToPath: "../README.md"}, code: files.Escape},
		{name: "move from absolute", action: Action{Kind: MoveFile, Path: "/etc/passwd", ToPath: "p"}, code: files.Escape},
		{name: "move the root", action: Action{Kind: MoveFile, Path: ".", ToPath: "x"}, code: files.InvalidPath},
		{name: "move into itself", action: Action{Kind: MoveFile, Path: "src", ToPath: "src/app/src"}, code: files.InvalidPath},
		{name: "move onto itself", action: Action{Kind: MoveFile, Path: "README.md", ToPath: "./README.md"}, code: files.InvalidPath},
		{name: "move without destination", action: Action{Kind: MoveFile, Path: "README.md"}, code: files.InvalidPath},
		{name: "mkdir parent", action: Action{Kind: MakeDir, Path: ".."}, code: files.Escape},
		{name: "list parent", action: Action{Kind: ListDir, Path: "../"}, code: files.Escape},
		{name: "exec cwd parent", action: Action{Kind: Exec, Script: "ls", Cwd: ".."}, code: files.Escape},
		{name: "exec cwd absolute", action: Action{Kind: Exec, Script: "ls", Cwd: "/"}, code: files.Escape},
		{name: "patch parent", action: Action{Kind: ApplyPatch, Patch: "--- /dev/null\n+++ b/../x\n@@ -0,0 +1 @@\n+x\n"}, code: files.Escape},
		{name: "patch absolute", action: Action{Kind: ApplyPatch, Patch: "--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n"}, code: files.Escape},
		{name: "patch NUL", action: Action{Kind: ApplyPatch, Patch: "--- /dev/null\n+++ b/a\x00\n@@ -0,0 +1 @@\n+x\n"}, code: files.InvalidPath},
		{name: "patch through a symlink out", action: Action{Kind: ApplyPatch, Patch: "--- /dev/null\n+++ b/out/x\n@@ -0,0 +1 @@\n+x\n"}, code: files.Escape},
		{name: "patch garbage", action: Action{Kind: ApplyPatch, Patch: "not a patch"}, code: files.PatchInvalid},
		{name: "patch too large", action: Action{Kind: ApplyPatch, Patch: "--- /dev/null\n+++ b/a\n@@ -0,0 +1 @@\n+x\n"}, lim: &small, code: files.TooLarge},
		{name: "unknown kind", action: Action{Kind: "chmod", Path: "README.md"}, code: files.InvalidPath},
		{name: "empty kind", action: Action{Path: "README.md"}, code: files.InvalidPath},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lim := w.root.Limits()
			if tc.lim != nil {
				lim = *tc.lim
			}
			p, err := Build(w.root, "demo", &tc.action, lim)
			if err == nil {
				t.Fatalf("Build = %+v, nil; want a %v error", p.Facts, tc.code)
			}
			if p != nil {
				t.Errorf("Build returned a plan with error %v", err)
			}
			if got := files.CodeOf(err); got != tc.code {
				t.Errorf("error %v has code %v, want %v", err, got, tc.code)
			}
			if strings.Contains(err.Error(), w.dir) || strings.Contains(err.Error(), w.outside) {
				t.Errorf("error %q reveals a host path", err)
			}
		})
	}
	if after := w.snapshot(t); !reflect.DeepEqual(before, after) {
		t.Fatal("planning changed the workspace")
	}
}

func TestBuildCommandError(t *testing.T) {
	w := newWorkspace(t)
	cases := []struct {
		name   string
		action Action
		target error
	}{
		{name: "unparseable script", action: Action{Kind: Exec, Script: "echo 'unterminated"}, target: shell.ErrParse},
		{name: "unclosed if", action: Action{Kind: Exec, Script: "if true; then ls"}, target: shell.ErrParse},
		{name: "unknown shell", action: Action{Kind: Exec, Script: "ls", Shell: "fish"}, target: shell.ErrBadDialect},
		{name: "empty argv", action: Action{Kind: Exec}, target: shell.ErrEmptyArgv},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := w.build(t, tc.action)
			var ce *CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("Build = %v, %v; want a *CommandError", p, err)
			}
			if !errors.Is(err, tc.target) {
				t.Errorf("error %v does not wrap %v", err, tc.target)
			}
			if !strings.HasPrefix(err.Error(), "command cannot be planned: ") {
				t.Errorf("message %q", err)
			}
			if files.CodeOf(err) != files.Internal {
				t.Errorf("a command error must not look like a files.Error: %v", files.CodeOf(err))
			}
		})
	}
}
