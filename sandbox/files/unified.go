package files

import (
	"strconv"
	"strings"
)

// diffContext is the number of unchanged lines shown around each change, as diff -u and git use.
const diffContext = 3

const noNewlineMarker = "\\ No newline at end of file\n"

// UnifiedDiff returns the unified diff from old to new for path, with "a/" and "b/" headers, hunks with three
// lines of context, and "\ No newline at end of file" where a side lacks a final newline. Equal inputs give an
// empty diff. When the text would exceed maxBytes (0 means no cap) it is cut at a line boundary and truncated is
// set; added and removed always count the whole change, so a policy judging size is never fooled by the cap.
// Headers always use a/ and b/, also for a new or emptied file: whether the file exists is a planning fact the
// caller already has.
func UnifiedDiff(path string, old, new []byte, maxBytes int) (diff string, added, removed int, truncated bool) {
	a, b := splitLines(string(old)), splitLines(string(new))
	ai, bi := internLines(a, b)
	delA, insB := lineDiff(ai, bi)
	for _, d := range delA {
		if d {
			removed++
		}
	}
	for _, in := range insB {
		if in {
			added++
		}
	}
	if added == 0 && removed == 0 {
		return "", 0, 0, false
	}
	ops := editScript(delA, insB)
	w := capWriter{max: maxBytes}
	name := path
	if strings.HasPrefix(name, `"`) {
		name = strconv.Quote(name)
	}
	w.write("--- a/" + name + "\n")
	w.write("+++ b/" + name + "\n")
	for _, h := range hunks(ops) {
		w.write(h.header())
		for _, o := range ops[h.start:h.end] {
			var line string
			switch o.kind {
			case '-':
				line = a[o.ai]
			case '+':
				line = b[o.bi]
			default:
				line = a[o.ai]
			}
			s := string(o.kind) + line
			if !strings.HasSuffix(line, "\n") {
				s += "\n" + noNewlineMarker
			}
			w.write(s)
		}
	}
	return w.sb.String(), added, removed, w.full
}

// capWriter stops accepting whole pieces once the next one would pass max.
type capWriter struct {
	sb   strings.Builder
	max  int
	full bool
}

func (w *capWriter) write(s string) {
	if w.full {
		return
	}
	if w.max > 0 && w.sb.Len()+len(s) > w.max {
		w.full = true
		return
	}
	w.sb.WriteString(s)
}

// splitLines splits s into lines that keep their "\n"; only the last may lack one.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func internLines(a, b []string) ([]int, []int) {
	ids := make(map[string]int, len(a)+len(b))
	conv := func(ls []string) []int {
		out := make([]int, len(ls))
		for i, l := range ls {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	return conv(a), conv(b)
}

// edit is one line of an edit script. ai and bi are the positions in old and new at that line, so a hunk's
// start lines can be read from its first edit whatever its kind.
type edit struct {
	kind   byte // ' ', '-' or '+'
	ai, bi int
}

// editScript turns deletion/insertion marks into a sequence with deletions before insertions in each change,
// as diff -u prints them.
func editScript(delA, insB []bool) []edit {
	var ops []edit
	i, j := 0, 0
	for i < len(delA) || j < len(insB) {
		switch {
		case i < len(delA) && delA[i]:
			ops = append(ops, edit{'-', i, j})
			i++
		case j < len(insB) && insB[j]:
			ops = append(ops, edit{'+', i, j})
			j++
		default:
			ops = append(ops, edit{' ', i, j})
			i++
			j++
		}
	}
	return ops
}

type hunkSpan struct {
	start, end                         int // range in the edit script
	oldStart, oldLen, newStart, newLen int // 0-based starts
}

// hunks groups changes, merging two when at most 2*context unchanged lines separate them.
func hunks(ops []edit) []hunkSpan {
	var out []hunkSpan
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(0, i-diffContext)
		last := i // last changed edit in this hunk
		for j := i + 1; j < len(ops); j++ {
			if ops[j].kind == ' ' {
				continue
			}
			if j-last-1 > 2*diffContext {
				break
			}
			last = j
		}
		end := min(len(ops), last+1+diffContext)
		h := hunkSpan{start: start, end: end, oldStart: ops[start].ai, newStart: ops[start].bi}
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				h.oldLen++
			}
			if o.kind != '-' {
				h.newLen++
			}
		}
		out = append(out, h)
		i = end
	}
	return out
}

func (h hunkSpan) header() string {
	return "@@ -" + rangeText(h.oldStart, h.oldLen) + " +" + rangeText(h.newStart, h.newLen) + " @@\n"
}

// rangeText prints a hunk range as diff -u does: an empty range names the line before it, and a length of one
// is left out.
func rangeText(start0, n int) string {
	switch n {
	case 0:
		return strconv.Itoa(start0) + ",0"
	case 1:
		return strconv.Itoa(start0 + 1)
	default:
		return strconv.Itoa(start0+1) + "," + strconv.Itoa(n)
	}
}
