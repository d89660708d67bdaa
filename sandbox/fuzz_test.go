package sandbox

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheckSpec: hostile workspace, cwd, argv and env never panic, and
// whatever is accepted stays inside the rules the launcher relies on.
func FuzzCheckSpec(f *testing.F) {
	f.Add("/work/ws", "sub", "ls", "K", "v")
	f.Add("/work/ws", "../..", "sh", "A=B", "x")
	f.Add("relative", "/etc", "", "", "\x00")
	f.Fuzz(func(t *testing.T, ws, cwd, arg, k, v string) {
		var c Conf
		c.SetDefaults()
		s := Spec{Workspace: ws, Cwd: cwd, Argv: []string{arg}, Env: map[string]string{k: v}}
		if err := checkSpec(&c, &s); err != nil {
			return
		}
		if !filepath.IsAbs(s.Workspace) || s.Workspace == "/" || strings.ContainsRune(s.Workspace, 0) {
			t.Fatalf("workspace %q accepted", s.Workspace)
		}
		if s.Cwd != "." && !filepath.IsLocal(s.Cwd) {
			t.Fatalf("cwd %q accepted", s.Cwd)
		}
		if strings.ContainsAny(k, "=\x00") || k == "" || strings.ContainsRune(arg, 0) {
			t.Fatalf("env key %q / arg %q accepted", k, arg)
		}
	})
}

// FuzzIsLocal: the package's own isLocal agrees with filepath.IsLocal on
// Unix paths.
func FuzzIsLocal(f *testing.F) {
	for _, p := range []string{"", ".", "..", "a", "a/..", "a/../..", "/a", "a//b", "./a", "a/./../b", "...", "..a", "a/..b/.."} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := isLocal(p), filepath.IsLocal(p); got != want {
			t.Fatalf("isLocal(%q) = %v, filepath.IsLocal = %v", p, got, want)
		}
	})
}
