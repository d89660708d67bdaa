package files

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCommit(t *testing.T) {
	h := func(s string) string { return SHA256Hex([]byte(s)) }
	tests := []struct {
		name    string
		changes []Change
		code    Code
		want    map[string]string // path -> content after; "" with absent=true means gone
		absent  []string
	}{
		{name: "modify create delete", changes: []Change{
			{Path: "a.txt", Op: OpModify, Content: []byte("A2"), ExpectedSHA256: h("A")},
			{Path: "new/dir/c.txt", Op: OpCreate, Content: []byte("C")},
			{Path: "b.txt", Op: OpDelete, ExpectedSHA256: h("B")},
		}, want: map[string]string{"a.txt": "A2", "new/dir/c.txt": "C"}, absent: []string{"b.txt"}},
		{name: "stale hash changes nothing", changes: []Change{
			{Path: "a.txt", Op: OpModify, Content: []byte("A2"), ExpectedSHA256: h("A")},
			{Path: "b.txt", Op: OpModify, Content: []byte("B2"), ExpectedSHA256: h("old")},
		}, code: Changed, want: map[string]string{"a.txt": "A", "b.txt": "B"}},
		{name: "create over existing", changes: []Change{
			{Path: "new.txt", Op: OpCreate, Content: []byte("N")},
			{Path: "a.txt", Op: OpCreate, Content: []byte("x")},
		}, code: Changed, want: map[string]string{"a.txt": "A"}, absent: []string{"new.txt"}},
		{name: "modify missing", changes: []Change{{Path: "zz", Op: OpModify, Content: []byte("x")}}, code: Changed, absent: []string{"zz"}},
		{name: "duplicate path", changes: []Change{
			{Path: "a.txt", Op: OpModify, Content: []byte("1")}, {Path: "./a.txt", Op: OpDelete},
		}, code: InvalidArgument, want: map[string]string{"a.txt": "A"}},
		{name: "unknown op", changes: []Change{{Path: "a.txt", Op: "chmod"}}, code: InvalidArgument},
		{name: "escape", changes: []Change{{Path: "../a.txt", Op: OpCreate}}, code: Escape},
		{name: "create with hash", changes: []Change{{Path: "q", Op: OpCreate, ExpectedSHA256: h("")}}, code: InvalidArgument},
		{name: "parent is a file", changes: []Change{
			{Path: "new/x", Op: OpCreate, Content: []byte("x")},
			{Path: "a.txt/x", Op: OpCreate, Content: []byte("x")},
		}, code: WrongType, absent: []string{"new"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.write(t, "a.txt", "A")
			e.write(t, "b.txt", "B")
			err := e.r.Commit(tc.changes)
			wantCode(t, err, tc.code)
			for p, c := range tc.want {
				if got := e.read(t, p); got != c {
					t.Fatalf("%s = %q, want %q", p, got, c)
				}
			}
			for _, p := range tc.absent {
				if e.exists(p) {
					t.Fatalf("%s exists", p)
				}
			}
			assertNoTemps(t, e.ws)
		})
	}
}

// TestCommitRollback makes the second replacement fail (its target turns into a directory after all checks) and
// requires the first file to be restored with its original content and mode, and no litter.
func TestCommitRollback(t *testing.T) {
	e := newEnv(t)
	e.write(t, "a.txt", "A")
	e.write(t, "b.txt", "B")
	e.write(t, "gone.txt", "G")
	if err := os.Chmod(filepath.Join(e.ws, "a.txt"), 0o640); err != nil {
		t.Fatal(err)
	}
	fired := false
	e.r.beforeApply = func(i int) {
		if i != 3 {
			return
		}
		fired = true
		if err := os.Remove(filepath.Join(e.ws, "b.txt")); err != nil {
			t.Error(err)
		}
		if err := os.Mkdir(filepath.Join(e.ws, "b.txt"), 0o755); err != nil {
			t.Error(err)
		}
	}
	err := e.r.Commit([]Change{
		{Path: "a.txt", Op: OpModify, Content: []byte("A2"), ExpectedSHA256: SHA256Hex([]byte("A"))},
		{Path: "gone.txt", Op: OpDelete},
		{Path: "sub/new.txt", Op: OpCreate, Content: []byte("N")},
		{Path: "b.txt", Op: OpModify, Content: []byte("B2")},
	})
	if !fired {
		t.Fatal("hook did not run")
	}
	wantCode(t, err, WrongType)
	if got := e.read(t, "a.txt"); got != "A" {
		t.Fatalf("a.txt = %q, not restored", got)
	}
	if got := e.read(t, "gone.txt"); got != "G" {
		t.Fatalf("gone.txt = %q, not restored", got)
	}
	if e.exists("sub/new.txt") || e.exists("sub") {
		t.Fatal("created file or its directory left behind")
	}
	fi, err := os.Stat(filepath.Join(e.ws, "a.txt"))
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("a.txt mode %v, %v", fi.Mode().Perm(), err)
	}
	if n := nlink(fi); n != 1 {
		t.Fatalf("a.txt has %d links after rollback", n)
	}
	assertNoTemps(t, e.ws)
}

// TestCommitChangedDuringStaging swaps a target's content after the first check (simulated through the hook of
// a first Commit that fails) to show the second check catches it before anything is replaced.
func TestCommitSecondCheck(t *testing.T) {
	e := newEnv(t)
	e.write(t, "a.txt", "A")
	e.write(t, "b.txt", "B")
	e.r.beforeApply = func(int) { t.Fatal("nothing may be applied") }
	// b.txt gains a second link between plan and commit: both checks see it, nothing is applied.
	if err := os.Link(filepath.Join(e.ws, "b.txt"), filepath.Join(e.ws, "b2")); err != nil {
		t.Skip(err)
	}
	err := e.r.Commit([]Change{
		{Path: "a.txt", Op: OpModify, Content: []byte("A2")},
		{Path: "b.txt", Op: OpModify, Content: []byte("B2")},
	})
	wantCode(t, err, HardLink)
	if e.read(t, "a.txt") != "A" {
		t.Fatal("a.txt changed")
	}
	assertNoTemps(t, e.ws)
}

// TestCommitRollbackRenameFails removes the second change's staged file just before it is renamed into place,
// so the rename itself fails after the backup link was made.
func TestCommitRollbackRenameFails(t *testing.T) {
	e := newEnv(t)
	e.write(t, "a.txt", "A")
	e.write(t, "b.txt", "B")
	e.r.beforeApply = func(i int) {
		if i != 1 {
			return
		}
		tmps, _ := filepath.Glob(filepath.Join(e.ws, ".airlock-tmp-*"))
		if len(tmps) != 1 {
			t.Errorf("staged files: %v", tmps)
		}
		for _, p := range tmps {
			_ = os.Remove(p)
		}
	}
	err := e.r.Commit([]Change{
		{Path: "a.txt", Op: OpModify, Content: []byte("A2")},
		{Path: "b.txt", Op: OpModify, Content: []byte("B2")},
	})
	wantCode(t, err, NotFound)
	if e.read(t, "a.txt") != "A" || e.read(t, "b.txt") != "B" {
		t.Fatal("not restored")
	}
	for _, p := range []string{"a.txt", "b.txt"} {
		fi, err := os.Stat(filepath.Join(e.ws, p))
		if err != nil || nlink(fi) != 1 {
			t.Fatalf("%s: backup link left (%v)", p, err)
		}
	}
	assertNoTemps(t, e.ws)
}
