package files

import (
	"fmt"
	"strings"
)

// Apply applies the file's hunks to old. Each hunk must match exactly at the line its header states, context
// and removed lines included: no fuzz, no offset search, so what applies is exactly what the approver read.
// Anything else is PatchConflict naming the hunk.
func (fp *FilePatch) Apply(old []byte) ([]byte, error) {
	const op = "apply_patch"
	path := fp.Path()
	conflict := func(format string, args ...any) error {
		return newErr(PatchConflict, op, path, fmt.Sprintf(format, args...))
	}
	if fp.Op == OpCreate && len(old) > 0 {
		return nil, conflict("patch creates the file but it already has content")
	}
	lines := splitLines(string(old))
	var out strings.Builder
	out.Grow(len(old))
	cur := 0
	for n, h := range fp.Hunks {
		name := fmt.Sprintf("hunk %d (@@ -%d,%d +%d,%d @@)", n+1, h.OldStart, h.OldLines, h.NewStart, h.NewLines)
		start := h.OldStart - 1
		if h.OldLines == 0 {
			start = h.OldStart
		}
		if start < cur || start > len(lines) {
			return nil, conflict("%s starts at line %d but the file has %d lines", name, h.OldStart, len(lines))
		}
		for _, l := range lines[cur:start] {
			out.WriteString(l)
		}
		p := start
		for _, hl := range h.Lines {
			if hl.Kind == '+' {
				out.WriteString(hl.Text)
				continue
			}
			if p >= len(lines) || lines[p] != hl.Text {
				return nil, conflict("%s does not match the file at line %d", name, p+1)
			}
			if hl.Kind == ' ' {
				out.WriteString(hl.Text)
			}
			p++
		}
		cur = p
	}
	for _, l := range lines[cur:] {
		out.WriteString(l)
	}
	res := out.String()
	// The parser keeps a line without a newline last within its hunk; this catches one placed before
	// untouched lines that follow the hunk, which would glue two lines together.
	if !fileEndsCleanly(fp, len(lines)) {
		return nil, conflict("a line marked \"\\ No newline at end of file\" is not at the end of the file")
	}
	if fp.Op == OpDelete && res != "" {
		return nil, conflict("patch deletes the file but does not remove all of its content")
	}
	return []byte(res), nil
}

// fileEndsCleanly reports whether every hunk line without a newline is at the end of the old file (old side) or
// is followed by no old lines outside the hunks (new side).
func fileEndsCleanly(fp *FilePatch, nOld int) bool {
	for _, h := range fp.Hunks {
		start := h.OldStart - 1
		if h.OldLines == 0 {
			start = h.OldStart
		}
		for _, hl := range h.Lines {
			if !strings.HasSuffix(hl.Text, "\n") && hl.Kind != '-' && start+h.OldLines != nOld {
				return false
			}
		}
	}
	return true
}
