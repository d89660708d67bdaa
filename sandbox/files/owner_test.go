package files

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestNewPathsBelongToWorkspaceOwner: a root server gives what it creates to
// the workspace's owner, so the owner's sandboxed commands can change it.
func TestNewPathsBelongToWorkspaceOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to own files as another user")
	}
	const uid, gid = 65534, 65534
	dir := t.TempDir()
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Write("a/b/new.txt", []byte("x"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.MakeDir("c/d"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "a/b", "a/b/new.txt", "c", "c/d"} {
		fi, err := os.Lstat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != uid || st.Gid != gid {
			t.Errorf("%s owned by %d:%d, want %d:%d", p, st.Uid, st.Gid, uid, gid)
		}
	}
}
