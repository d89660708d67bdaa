package shell

import (
	"path"
	"strings"
)

// Resolver resolves a path word, as written in the command, against the
// command's working directory. rel is workspace-relative and clean when the
// path stays inside the workspace; outside reports that it does not (or that
// it cannot be known lexically).
type Resolver func(p string) (rel string, outside bool)

// DefaultResolver resolves purely lexically against cwd, a workspace-relative
// directory ("" or "." is the workspace root). It never looks at the
// filesystem, so symlinks are the executor's concern (the sandbox confines
// writes); what it guarantees is that any absolute path, any home-relative or
// variable word and any ".." that climbs above the root is reported outside.
func DefaultResolver(cwd string) Resolver {
	base := path.Clean("/" + strings.TrimPrefix(cwd, "/"))
	cwdOutside := path.IsAbs(cwd) || escapes(path.Clean(cwd))
	return func(p string) (string, bool) {
		switch {
		case cwdOutside:
			return p, true
		case p == "":
			return relOf(base), false
		case strings.HasPrefix(p, "~"), strings.ContainsAny(p, "$`"):
			return p, true
		case path.IsAbs(p):
			return path.Clean(p), true
		}
		joined := path.Clean(path.Join(relOf(base), p))
		if escapes(joined) {
			return p, true
		}
		return joined, false
	}
}

func relOf(abs string) string {
	if abs == "/" {
		return "."
	}
	return strings.TrimPrefix(abs, "/")
}

func escapes(clean string) bool {
	return clean == ".." || strings.HasPrefix(clean, "../")
}
