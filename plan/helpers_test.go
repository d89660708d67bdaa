package plan

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/sandbox/files"
)

// Workspace contents every plan test starts from.
const (
	readme  = "# demo\n"
	mainGo  = "package main\n\nfunc main() {}\n"
	appYAML = "replicas: 1\nimage: shop:1\n"
	dupTxt  = "a\na\n"
	binData = "\x00\x01\x02bin"
)

type workspace struct {
	dir     string
	outside string
	root    *files.Root
}

// newWorkspace makes a workspace with a few files, an empty directory, and a
// symbolic link to a sibling directory outside it.
func newWorkspace(t testing.TB) *workspace {
	t.Helper()
	base := t.TempDir()
	w := &workspace{dir: filepath.Join(base, "ws"), outside: filepath.Join(base, "outside")}
	for name, content := range map[string]string{
		"README.md":            readme,
		"src/app/main.go":      mainGo,
		"deploy/prod/app.yaml": appYAML,
		"dup.txt":              dupTxt,
		"data.BIN":             binData,
	} {
		w.write(t, name, content)
	}
	for _, d := range []string{filepath.Join(w.dir, "empty"), w.outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(w.outside, "secret"), []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(w.outside, filepath.Join(w.dir, "out")); err != nil {
		t.Fatal(err)
	}
	r, err := files.Open(w.dir, files.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	w.root = r
	return w
}

func (w *workspace) write(t testing.TB, name, content string) {
	t.Helper()
	p := filepath.Join(w.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot maps every path under the workspace and the outside directory to
// its content (or link target), to prove planning changes nothing.
func (w *workspace) snapshot(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, top := range []string{w.dir, w.outside} {
		err := filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch {
			case d.Type()&fs.ModeSymlink != 0:
				target, err := os.Readlink(p)
				out[p] = "link:" + target
				return err
			case d.IsDir():
				out[p] = "dir"
			default:
				b, err := os.ReadFile(p)
				out[p] = string(b)
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (w *workspace) build(t testing.TB, a Action) (*Plan, error) {
	t.Helper()
	return Build(w.root, "demo", &a, w.root.Limits())
}

// pw builds an expected policy.PlannedPath.
type pw policy.PlannedPath

// at gives a path and the facts derived from its name, spelled out rather
// than computed so that the test does not share the code under test.
func at(p, top, dir, base, ext string, segs ...string) pw {
	if segs == nil {
		segs = []string{}
	}
	return pw{Path: p, TopDir: top, Dir: dir, Base: base, Ext: ext, Segments: segs}
}

func (w pw) op(op string) pw { w.Op = op; return w }

// file marks the path as an existing regular file with content; hashed says
// whether the planner read it (only kinds that bind to content do).
func (w pw) file(content string, hashed bool) pw {
	w.Exists, w.Size = true, int64(len(content))
	if hashed {
		w.SHA256 = files.SHA256Hex([]byte(content))
		w.Binary = files.IsBinary([]byte(content))
	}
	return w
}

func (w pw) isDir(size int64) pw { w.Exists, w.IsDir, w.Size = true, true, size; return w }

func (w pw) diff(text string, added, removed int) pw {
	w.Diff, w.LinesAdded, w.LinesRemoved = text, added, removed
	return w
}

func (w pw) binary() pw { w.Binary = true; return w }

func sha(s string) string { return files.SHA256Hex([]byte(s)) }

// dirSize is the size the plan reports for a directory: none, since a
// directory's size depends on the file system, not on its content.
func dirSize(t testing.TB, w *workspace, p string) int64 {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(w.dir, filepath.FromSlash(p))); err != nil {
		t.Fatal(err)
	}
	return 0
}
