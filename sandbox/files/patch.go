package files

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Patch is a parsed unified diff touching one or more files.
type Patch struct {
	Files []FilePatch
}

// FilePatch is the change to one file. Paths are cleaned workspace paths; "" stands for /dev/null.
type FilePatch struct {
	OldPath, NewPath string
	Op               string // create, modify or delete
	Hunks            []Hunk
}

// Path is the workspace path the change applies to.
func (fp *FilePatch) Path() string {
	if fp.NewPath != "" {
		return fp.NewPath
	}
	return fp.OldPath
}

// Hunk is one @@ section. Starts are as written in the header (1-based, or the line before an empty range).
type Hunk struct {
	OldStart, OldLines, NewStart, NewLines int
	Lines                                  []HunkLine
}

// HunkLine is one body line. Text includes its "\n" unless the patch marked the line "\ No newline at end of
// file".
type HunkLine struct {
	Kind byte // ' ', '-' or '+'
	Text string
}

// Operations a FilePatch or Change can carry.
const (
	OpCreate = "create"
	OpModify = "modify"
	OpDelete = "delete"
)

const maxHunkNumber = 1 << 30

var hunkHeader = regexp.MustCompile(`^@@ -([0-9]+)(?:,([0-9]+))? \+([0-9]+)(?:,([0-9]+))? @@`)

// ParsePatch parses a unified diff as diff -u or git produce it: several files, a/ and b/ prefixes, /dev/null for
// created and deleted files, "\ No newline at end of file". Text before a file's "---" line (a commit message,
// "diff --git" and "index" lines) is skipped. It is strict where leniency would let an approver and the applier
// disagree: the counts in each @@ header must match its body exactly, hunks must be in order, and renames,
// copies, binary patches and git headers without content (empty files, mode changes) are refused. An empty line
// inside a hunk is read as an empty context line, because editors and models often strip the lone space. Errors
// are PatchInvalid with the patch line number, except a path that is malformed or leaves the workspace, which
// keeps its InvalidPath or Escape code so policy can tell an attack from a typo. A hunk's new start line is not
// checked: it does not affect the result, which depends only on the old lines and the body.
func ParsePatch(text string) (*Patch, error) {
	p := &parser{lines: strings.Split(text, "\n")}
	if n := len(p.lines); n > 0 && p.lines[n-1] == "" {
		p.lines = p.lines[:n-1]
	}
	return p.parse()
}

type parser struct {
	lines []string
	i     int // index of the current line; line numbers in errors are i+1
}

func (p *parser) errf(line int, format string, args ...any) error {
	return newErr(PatchInvalid, "apply_patch", "", fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
}

func (p *parser) parse() (*Patch, error) {
	var out Patch
	seen := map[string]bool{}
	gitHeader := 0 // line of a "diff --git" still waiting for its ---/+++ pair
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		switch {
		case strings.HasPrefix(l, "diff --git "):
			if gitHeader > 0 {
				return nil, p.errf(gitHeader, "git header without ---/+++ lines (empty file, mode change or binary) is not supported")
			}
			gitHeader = p.i + 1
			p.i++
		case strings.HasPrefix(l, "rename from "), strings.HasPrefix(l, "rename to "):
			return nil, p.errf(p.i+1, "renames not supported; use move_file")
		case strings.HasPrefix(l, "copy from "), strings.HasPrefix(l, "copy to "):
			return nil, p.errf(p.i+1, "copies not supported; use write_file")
		case strings.HasPrefix(l, "GIT binary patch"), strings.HasPrefix(l, "Binary files ") && strings.HasSuffix(l, " differ"):
			return nil, p.errf(p.i+1, "binary patches not supported")
		case strings.HasPrefix(l, "--- ") && p.i+1 < len(p.lines) && strings.HasPrefix(p.lines[p.i+1], "+++ "):
			fp, err := p.parseFile()
			if err != nil {
				return nil, err
			}
			path := fp.Path()
			if seen[path] {
				return nil, p.errf(p.i, "file %q appears twice in the patch", path)
			}
			seen[path] = true
			out.Files = append(out.Files, *fp)
			gitHeader = 0
		case strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "@@ "):
			return nil, p.errf(p.i+1, "hunk or +++ line without a preceding --- line")
		default:
			p.i++
		}
	}
	if gitHeader > 0 {
		return nil, p.errf(gitHeader, "git header without ---/+++ lines (empty file, mode change or binary) is not supported")
	}
	if len(out.Files) == 0 {
		return nil, p.errf(max(1, len(p.lines)), "no file changes found")
	}
	return &out, nil
}

// parseFile parses the ---/+++ pair at p.i and the hunks after it.
func (p *parser) parseFile() (*FilePatch, error) {
	headerLine := p.i + 1
	oldRaw, err := headerPath(p.lines[p.i][4:])
	if err != nil {
		return nil, p.errf(p.i+1, "%s", err)
	}
	newRaw, err := headerPath(p.lines[p.i+1][4:])
	if err != nil {
		return nil, p.errf(p.i+2, "%s", err)
	}
	const null = "/dev/null"
	if (oldRaw == null || strings.HasPrefix(oldRaw, "a/")) && (newRaw == null || strings.HasPrefix(newRaw, "b/")) {
		oldRaw, newRaw = strings.TrimPrefix(oldRaw, "a/"), strings.TrimPrefix(newRaw, "b/")
	}
	fp := &FilePatch{}
	for _, side := range []struct {
		raw  string
		dst  *string
		line int
	}{{oldRaw, &fp.OldPath, headerLine}, {newRaw, &fp.NewPath, headerLine + 1}} {
		if side.raw == null {
			continue
		}
		c, err := cleanPath("apply_patch", side.raw)
		if err != nil {
			e := err.(*Error)
			e.Msg = fmt.Sprintf("line %d: %s", side.line, e.Msg)
			return nil, e
		}
		if c == "." {
			return nil, p.errf(side.line, "patch targets the workspace root")
		}
		*side.dst = c
	}
	switch {
	case fp.OldPath == "" && fp.NewPath == "":
		return nil, p.errf(headerLine, "both sides are /dev/null")
	case fp.OldPath == "":
		fp.Op = OpCreate
	case fp.NewPath == "":
		fp.Op = OpDelete
	case fp.OldPath != fp.NewPath:
		return nil, p.errf(headerLine, "renames not supported; use move_file")
	default:
		fp.Op = OpModify
	}
	p.i += 2

	oldEnd := 0 // first old line (0-based) not yet covered by a hunk
	newEOF := false
	for p.i < len(p.lines) && strings.HasPrefix(p.lines[p.i], "@@") {
		if newEOF {
			return nil, p.errf(p.i+1, "hunk after one that ends the file without a newline")
		}
		h, err := p.parseHunk(len(fp.Hunks) + 1)
		if err != nil {
			return nil, err
		}
		start := h.OldStart - 1
		if h.OldLines == 0 {
			start = h.OldStart
		}
		if start < oldEnd {
			return nil, p.errf(p.i, "hunk %d overlaps or precedes the hunk before it", len(fp.Hunks)+1)
		}
		oldEnd = start + h.OldLines
		switch {
		case fp.Op == OpCreate && h.OldLines != 0:
			return nil, p.errf(p.i, "hunk %d of a new file has old lines", len(fp.Hunks)+1)
		case fp.Op == OpDelete && h.NewLines != 0:
			return nil, p.errf(p.i, "hunk %d of a deleted file has new lines", len(fp.Hunks)+1)
		}
		for _, hl := range h.Lines {
			if hl.Kind != '-' && !strings.HasSuffix(hl.Text, "\n") {
				newEOF = true
			}
		}
		fp.Hunks = append(fp.Hunks, *h)
	}
	if fp.Op == OpModify && len(fp.Hunks) == 0 {
		return nil, p.errf(headerLine, "no hunks for %q", fp.Path())
	}
	if p.i < len(p.lines) {
		l := p.lines[p.i]
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "+") || strings.HasPrefix(l, "\\") ||
			(strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "--- ") && l != "-- ") {
			return nil, p.errf(p.i+1, "hunk %d has more lines than its @@ header counts", len(fp.Hunks))
		}
	}
	return fp, nil
}

// headerPath extracts the path from a ---/+++ line: it drops a tab-separated timestamp and unquotes a
// C-quoted git path.
func headerPath(s string) (string, error) {
	if i := strings.IndexByte(s, '\t'); i >= 0 {
		s = s[:i]
	}
	if strings.HasPrefix(s, `"`) {
		u, err := strconv.Unquote(s)
		if err != nil {
			return "", fmt.Errorf("malformed quoted path")
		}
		return u, nil
	}
	s = strings.TrimRight(s, " ")
	if s == "" {
		return "", fmt.Errorf("missing path")
	}
	return s, nil
}

func (p *parser) parseHunk(n int) (*Hunk, error) {
	m := hunkHeader.FindStringSubmatch(p.lines[p.i])
	if m == nil {
		return nil, p.errf(p.i+1, "malformed hunk header")
	}
	nums := [4]int{0, 1, 0, 1}
	for k, s := range m[1:] {
		if s == "" {
			continue
		}
		v, err := strconv.Atoi(s)
		if err != nil || v > maxHunkNumber {
			return nil, p.errf(p.i+1, "number out of range in hunk header")
		}
		nums[k] = v
	}
	h := &Hunk{OldStart: nums[0], OldLines: nums[1], NewStart: nums[2], NewLines: nums[3]}
	if (h.OldLines > 0 && h.OldStart == 0) || (h.NewLines > 0 && h.NewStart == 0) {
		return nil, p.errf(p.i+1, "hunk %d: line 0 with a non-empty range", n)
	}
	if h.OldLines == 0 && h.NewLines == 0 {
		return nil, p.errf(p.i+1, "hunk %d is empty", n)
	}
	p.i++
	oldLeft, newLeft := h.OldLines, h.NewLines
	for oldLeft > 0 || newLeft > 0 || (p.i < len(p.lines) && strings.HasPrefix(p.lines[p.i], "\\")) {
		if p.i >= len(p.lines) {
			return nil, p.errf(p.i, "hunk %d ends early: %d old and %d new lines missing", n, oldLeft, newLeft)
		}
		l := p.lines[p.i]
		kind := byte(' ')
		text := ""
		if l != "" {
			kind, text = l[0], l[1:]
		}
		switch kind {
		case '\\':
			last := len(h.Lines) - 1
			if last < 0 || !strings.HasSuffix(h.Lines[last].Text, "\n") {
				return nil, p.errf(p.i+1, "misplaced \"\\ No newline at end of file\"")
			}
			h.Lines[last].Text = strings.TrimSuffix(h.Lines[last].Text, "\n")
			p.i++
			continue
		case ' ':
			oldLeft--
			newLeft--
		case '-':
			oldLeft--
		case '+':
			newLeft--
		default:
			return nil, p.errf(p.i+1, "hunk %d: line does not start with ' ', '-', '+' or '\\'", n)
		}
		if oldLeft < 0 || newLeft < 0 {
			return nil, p.errf(p.i+1, "hunk %d has more lines than its @@ header counts", n)
		}
		h.Lines = append(h.Lines, HunkLine{Kind: kind, Text: text + "\n"})
		p.i++
	}
	for i, a := range h.Lines {
		if strings.HasSuffix(a.Text, "\n") {
			continue
		}
		for _, b := range h.Lines[i+1:] {
			if sharesSide(a.Kind, b.Kind) {
				return nil, p.errf(p.i, "hunk %d continues after a line marked as the end of the file", n)
			}
		}
	}
	return h, nil
}

// sharesSide reports whether two hunk line kinds appear on a common side (old or new) of the diff.
func sharesSide(a, b byte) bool {
	return a == ' ' || b == ' ' || a == b
}
