package files

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env is a workspace with a sibling "outside" directory holding a sentinel file that no test may change.
type env struct {
	r       *Root
	ws      string
	outside string
}

const sentinelText = "outside secret\n"

func newEnv(t testing.TB) *env {
	t.Helper()
	base := t.TempDir()
	ws := filepath.Join(base, "ws")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{ws, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "sentinel"), []byte(sentinelText), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ws, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return &env{r: r, ws: ws, outside: outside}
}

// assertOutsideUntouched fails if the outside directory holds anything but the unchanged sentinel.
func (e *env) assertOutsideUntouched(t *testing.T) {
	t.Helper()
	ents, err := os.ReadDir(e.outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "sentinel" {
		var names []string
		for _, d := range ents {
			names = append(names, d.Name())
		}
		t.Fatalf("outside dir changed: %v", names)
	}
	b, err := os.ReadFile(filepath.Join(e.outside, "sentinel"))
	if err != nil || string(b) != sentinelText {
		t.Fatalf("sentinel changed: %q, %v", b, err)
	}
	// The parent of the workspace must not gain files either ("../x").
	ents, err = os.ReadDir(filepath.Dir(e.ws))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		t.Fatalf("workspace parent has %d entries, want 2", len(ents))
	}
}

func (e *env) write(t testing.TB, rel, content string) {
	t.Helper()
	p := filepath.Join(e.ws, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (e *env) read(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.ws, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (e *env) symlink(t testing.TB, target, rel string) {
	t.Helper()
	if err := os.Symlink(target, filepath.Join(e.ws, rel)); err != nil {
		t.Fatal(err)
	}
}

func (e *env) exists(rel string) bool {
	_, err := os.Lstat(filepath.Join(e.ws, rel))
	return !errors.Is(err, fs.ErrNotExist)
}

func wantCode(t *testing.T, err error, want Code) {
	t.Helper()
	if got := CodeOf(err); got != want {
		t.Fatalf("code = %v, want %v (err: %v)", got, want, err)
	}
}

// assertSafeMessage checks that an error never shows the host's workspace path.
func (e *env) assertSafeMessage(t *testing.T, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), e.ws) || strings.Contains(err.Error(), filepath.Dir(e.ws))) {
		t.Fatalf("error message leaks host path: %q", err.Error())
	}
}
