package files

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEscape is the named escape suite: every case must fail with the stated code, and nothing outside the
// workspace may be read, changed or created.
func TestEscape(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env)
		act   func(t *testing.T, e *env) error
		want  Code
	}{
		{name: "dotdot read", act: func(t *testing.T, e *env) error {
			_, _, err := e.r.ReadFile("../outside/sentinel")
			return err
		}, want: Escape},
		{name: "dotdot write", act: func(t *testing.T, e *env) error {
			_, err := e.r.Write("../x", []byte("pwn"), WriteOptions{})
			return err
		}, want: Escape},
		{name: "inner dotdot leaves root", act: func(t *testing.T, e *env) error {
			_, err := e.r.Write("a/../../x", []byte("pwn"), WriteOptions{})
			return err
		}, want: Escape},
		{name: "absolute path", act: func(t *testing.T, e *env) error {
			_, _, err := e.r.ReadFile("/etc/passwd")
			return err
		}, want: Escape},
		{name: "absolute path to outside sentinel write", act: func(t *testing.T, e *env) error {
			_, err := e.r.Write(filepath.Join(e.outside, "sentinel"), []byte("pwn"), WriteOptions{})
			return err
		}, want: Escape},
		{name: "symlink to outside dir read", setup: func(t *testing.T, e *env) {
			e.symlink(t, e.outside, "out")
		}, act: func(t *testing.T, e *env) error {
			_, _, err := e.r.ReadFile("out/sentinel")
			return err
		}, want: Escape},
		{name: "symlink to outside dir write", setup: func(t *testing.T, e *env) {
			e.symlink(t, e.outside, "out")
		}, act: func(t *testing.T, e *env) error {
			_, err := e.r.Write("out/new", []byte("pwn"), WriteOptions{})
			return err
		}, want: Escape},
		{name: "relative symlink to outside dir write", setup: func(t *testing.T, e *env) {
			e.symlink(t, "../outside", "out")
		}, act: func(t *testing.T, e *env) error {
			_, err := e.r.Write("out/sentinel", []byte("pwn"), WriteOptions{})
			return err
		}, want: Escape},
		{name: "symlink to outside dir list", setup: func(t *testing.T, e *env) {
			e.symlink(t, e.outside, "out")
		}, act: func(t *testing.T, e *env) error {
			_, _, err := e.r.List("out", true, 0, 0)
			return err
		}, want: WrongType},
		{name: "symlink to outside dir mkdir below", setup: func(t *testing.T, e *env) {
			e.symlink(t, e.outside, "out")
		}, act: func(t *testing.T, e *env) error {
			_, err := e.r.MakeDir("out/sub")
			return err
		}, want: Escape},
		{name: "symlink to outside dir move into", setup: func(t *testing.T, e *env) {
			e.symlink(t, e.outside, "out")
			e.write(t, "f", "x")
		}, act: func(t *testing.T, e *env) error {
			return e.r.Move("f", "out/f", false)
		}, want: Escape},
		{name: "symlink to outside file read", setup: func(t *testing.T, e *env) {
			e.symlink(t, filepath.Join(e.outside, "sentinel"), "lf")
		}, act: func(t *testing.T, e *env) error {
			_, _, err := e.r.ReadFile("lf")
			return err
		}, want: Escape},
		{name: "symlink to outside file partial read", setup: func(t *testing.T, e *env) {
			e.symlink(t, filepath.Join(e.outside, "sentinel"), "lf")
		}, act: func(t *testing.T, e *env) error {
			_, err := e.r.Read("lf", 0, 10)
			return err
		}, want: Escape},
		{name: "symlink to outside file write", setup: func(t *testing.T, e *env) {
			e.symlink(t, filepath.Join(e.outside, "sentinel"), "lf")
		}, act: func(t *testing.T, e *env) error {
			_, err := e.r.Write("lf", []byte("pwn"), WriteOptions{})
			return err
		}, want: WrongType},
		{name: "symlink to outside file commit", setup: func(t *testing.T, e *env) {
			e.symlink(t, filepath.Join(e.outside, "sentinel"), "lf")
		}, act: func(t *testing.T, e *env) error {
			return e.r.Commit([]Change{{Path: "lf", Op: OpModify, Content: []byte("pwn")}})
		}, want: WrongType},
		{name: "absolute symlink inside workspace is refused", setup: func(t *testing.T, e *env) {
			e.write(t, "real", "x")
			e.symlink(t, filepath.Join(e.ws, "real"), "abs")
		}, act: func(t *testing.T, e *env) error {
			_, _, err := e.r.ReadFile("abs")
			return err
		}, want: Escape},
		{name: "symlink swapped in after stat before write", act: func(t *testing.T, e *env) error {
			info, err := e.r.Stat("f")
			if err != nil || info.Exists {
				t.Fatalf("stat: %+v %v", info, err)
			}
			e.symlink(t, filepath.Join(e.outside, "sentinel"), "f")
			_, err = e.r.Write("f", []byte("pwn"), WriteOptions{ExpectAbsent: true})
			return err
		}, want: WrongType},
		{name: "parent dir swapped for symlink after stat", setup: func(t *testing.T, e *env) {
			e.write(t, "d/f", "old")
		}, act: func(t *testing.T, e *env) error {
			if info, err := e.r.Stat("d/f"); err != nil || !info.IsRegular {
				t.Fatalf("stat: %+v %v", info, err)
			}
			if err := os.RemoveAll(filepath.Join(e.ws, "d")); err != nil {
				t.Fatal(err)
			}
			e.symlink(t, e.outside, "d")
			_, err := e.r.Write("d/sentinel", []byte("pwn"), WriteOptions{})
			return err
		}, want: Escape},
		{name: "hard link to outside write", setup: hardLinkSetup, act: func(t *testing.T, e *env) error {
			_, err := e.r.Write("hl", []byte("pwn"), WriteOptions{})
			return err
		}, want: HardLink},
		{name: "hard link to outside edit with hash", setup: hardLinkSetup, act: func(t *testing.T, e *env) error {
			_, err := e.r.Write("hl", []byte("pwn"), WriteOptions{ExpectedSHA256: SHA256Hex([]byte(sentinelText))})
			return err
		}, want: HardLink},
		{name: "hard link to outside delete", setup: hardLinkSetup, act: func(t *testing.T, e *env) error {
			return e.r.Delete("hl", "")
		}, want: HardLink},
		{name: "hard link to outside move", setup: hardLinkSetup, act: func(t *testing.T, e *env) error {
			return e.r.Move("hl", "moved", false)
		}, want: HardLink},
		{name: "move over hard link to outside", setup: func(t *testing.T, e *env) {
			hardLinkSetup(t, e)
			e.write(t, "f", "x")
		}, act: func(t *testing.T, e *env) error {
			return e.r.Move("f", "hl", true)
		}, want: HardLink},
		{name: "hard link to outside patch commit", setup: hardLinkSetup, act: func(t *testing.T, e *env) error {
			return e.r.Commit([]Change{{Path: "hl", Op: OpModify, Content: []byte("pwn")}})
		}, want: HardLink},
		{name: "hard link to outside read is allowed", setup: hardLinkSetup, act: func(t *testing.T, e *env) error {
			b, _, err := e.r.ReadFile("hl")
			if string(b) != sentinelText {
				t.Fatalf("read %q", b)
			}
			return err
		}, want: OK},
		{name: "symlink loop", setup: func(t *testing.T, e *env) {
			e.symlink(t, "l2", "l1")
			e.symlink(t, "l1", "l2")
		}, act: func(t *testing.T, e *env) error {
			_, _, err := e.r.ReadFile("l1")
			return err
		}, want: InvalidPath},
		{name: "symlink loop as parent", setup: func(t *testing.T, e *env) {
			e.symlink(t, "l2", "l1")
			e.symlink(t, "l1", "l2")
		}, act: func(t *testing.T, e *env) error {
			_, err := e.r.Write("l1/x", []byte("x"), WriteOptions{})
			return err
		}, want: InvalidPath},
		{name: "path with NUL", act: func(t *testing.T, e *env) error {
			_, err := e.r.Write("a\x00/../../outside/sentinel", []byte("pwn"), WriteOptions{})
			return err
		}, want: InvalidPath},
		{name: "4097 byte path", act: func(t *testing.T, e *env) error {
			_, err := e.r.Write(strings.Repeat("a/", 2048)+"b", []byte("x"), WriteOptions{})
			return err
		}, want: InvalidPath},
		{name: "directory where a file is expected read", setup: func(t *testing.T, e *env) {
			e.write(t, "dir/f", "x")
		}, act: func(t *testing.T, e *env) error {
			_, _, err := e.r.ReadFile("dir")
			return err
		}, want: WrongType},
		{name: "directory where a file is expected write", setup: func(t *testing.T, e *env) {
			e.write(t, "dir/f", "x")
		}, act: func(t *testing.T, e *env) error {
			_, err := e.r.Write("dir", []byte("x"), WriteOptions{})
			return err
		}, want: WrongType},
		{name: "delete root", act: func(t *testing.T, e *env) error {
			return e.r.Delete(".", "")
		}, want: InvalidPath},
		{name: "delete root spelled a/..", act: func(t *testing.T, e *env) error {
			return e.r.Delete("a/..", "")
		}, want: InvalidPath},
		{name: "delete parent", act: func(t *testing.T, e *env) error {
			return e.r.Delete("..", "")
		}, want: Escape},
		{name: "move onto root", setup: func(t *testing.T, e *env) {
			e.write(t, "f", "x")
		}, act: func(t *testing.T, e *env) error {
			return e.r.Move("f", ".", true)
		}, want: InvalidPath},
		{name: "move root", act: func(t *testing.T, e *env) error {
			return e.r.Move(".", "sub", false)
		}, want: InvalidPath},
		{name: "move outside root", setup: func(t *testing.T, e *env) {
			e.write(t, "f", "x")
		}, act: func(t *testing.T, e *env) error {
			return e.r.Move("f", "../outside/f", false)
		}, want: Escape},
		{name: "move from outside root", act: func(t *testing.T, e *env) error {
			return e.r.Move("../outside/sentinel", "stolen", false)
		}, want: Escape},
		{name: "move onto absolute path", setup: func(t *testing.T, e *env) {
			e.write(t, "f", "x")
		}, act: func(t *testing.T, e *env) error {
			return e.r.Move("f", filepath.Join(e.outside, "sentinel"), true)
		}, want: Escape},
		{name: "patch path escape", act: func(t *testing.T, e *env) error {
			_, err := ParsePatch("--- a/../outside/sentinel\n+++ b/../outside/sentinel\n@@ -1 +1 @@\n-outside secret\n+pwn\n")
			return err
		}, want: Escape},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			err := tc.act(t, e)
			wantCode(t, err, tc.want)
			e.assertSafeMessage(t, err)
			e.assertOutsideUntouched(t)
		})
	}
}

// hardLinkSetup links the outside sentinel into the workspace as "hl", as an agent's earlier command could.
func hardLinkSetup(t *testing.T, e *env) {
	if err := os.Link(filepath.Join(e.outside, "sentinel"), filepath.Join(e.ws, "hl")); err != nil {
		t.Skipf("hard links unsupported here: %v", err)
	}
}

// TestEscapeSentinelText pins the os.Root error text isEscape relies on: if a Go release changes it, escapes
// would surface as Internal and this fails first.
func TestEscapeSentinelText(t *testing.T) {
	rt, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	_, err = rt.Open("../x")
	if !isEscape(err) {
		t.Fatalf("os.Root escape error not recognised: %v", err)
	}
}
