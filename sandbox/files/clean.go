package files

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Path limits, matching Linux PATH_MAX and NAME_MAX so that a path we accept is one the kernel can take.
const (
	MaxPathBytes    = 4096
	MaxSegmentBytes = 255
)

// Clean validates an agent-supplied workspace-relative path and returns its clean form ("." for the root).
// It is lexical only: symbolic links are handled by os.Root when the path is used. See the package doc for why
// backslashes are refused.
func (r *Root) Clean(p string) (string, error) { return cleanPath("clean", p) }

func cleanPath(op, p string) (string, error) {
	if p == "" {
		return "", newErr(InvalidPath, op, "", "empty path")
	}
	if len(p) > MaxPathBytes {
		return "", newErr(InvalidPath, op, "", "path longer than 4096 bytes")
	}
	if !utf8.ValidString(p) {
		return "", newErr(InvalidPath, op, "", "path is not valid UTF-8")
	}
	// The raw path may hold bytes that are unsafe to echo (NUL, escapes), so errors above and here omit it.
	for _, c := range p {
		switch {
		case c == 0:
			return "", newErr(InvalidPath, op, "", "path contains a NUL byte")
		case c == '\\':
			return "", newErr(InvalidPath, op, "", "path contains a backslash; use / as the separator")
		case unicode.IsControl(c):
			return "", newErr(InvalidPath, op, "", "path contains a control character")
		case isBidiControl(c):
			// Bidirectional overrides make a path read differently to an approver than to the file system.
			return "", newErr(InvalidPath, op, "", "path contains a bidirectional text control character")
		}
	}
	if strings.HasPrefix(p, "/") {
		// Not echoed: an absolute path may well be the host path of the workspace itself.
		return "", newErr(Escape, op, "", "absolute paths are not allowed; use a workspace-relative path")
	}
	for seg := range strings.SplitSeq(p, "/") {
		if len(seg) > MaxSegmentBytes {
			return "", newErr(InvalidPath, op, "", "path segment longer than 255 bytes")
		}
	}
	c := path.Clean(p)
	// path.Clean keeps a leading ".." exactly when some prefix of the path climbed above its start, so this
	// catches "a/../../x" as well as "../x".
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", newErr(Escape, op, p, "path leaves the workspace")
	}
	return c, nil
}

func isBidiControl(c rune) bool {
	switch {
	case c == '\u200e', c == '\u200f', c == '\u061c':
		return true
	case c >= '\u202a' && c <= '\u202e':
		return true
	case c >= '\u2066' && c <= '\u2069':
		return true
	}
	return false
}
