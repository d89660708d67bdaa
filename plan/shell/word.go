package shell

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/pattern"
	"mvdan.cc/sh/v3/syntax"
)

// word is one argv word as the policy sees it: its value when it is a plain
// literal, or its source text when the shell would change it.
type word struct {
	text string
	lit  bool
}

// evalWord decides whether w reaches the program unchanged. Quotes and
// backslashes are removed (that is not a change: 'a b' is the literal a b);
// parameter, command, process and arithmetic expansions, unquoted globs,
// brace expansions, extended globs and a leading tilde all make the word
// non-literal, because the program would receive something other than what
// the policy reads.
func (p *planner) evalWord(w *syntax.Word) word {
	if w == nil {
		return word{lit: true}
	}
	if literalWord(w) {
		// Fields, not Literal: only Fields removes unquoted backslashes.
		if fs, err := expand.Fields(p.expandCfg(), w); err == nil && len(fs) == 1 {
			return word{text: fs[0], lit: true}
		}
	}
	return word{text: p.print(w), lit: false}
}

func literalWord(w *syntax.Word) bool {
	for i, part := range w.Parts {
		switch part := part.(type) {
		case *syntax.Lit:
			if i == 0 && strings.HasPrefix(part.Value, "~") {
				return false
			}
			if pattern.HasMeta(part.Value, 0) {
				return false
			}
		case *syntax.SglQuoted:
		case *syntax.DblQuoted:
			for _, q := range part.Parts {
				if _, ok := q.(*syntax.Lit); !ok {
					return false
				}
			}
		default:
			return false
		}
	}
	// Brace expansion ({rm,-rf,/} is "rm -rf /" to bash). SplitBraces
	// rewrites the word it is given, so it works on a copy of the parts list.
	cp := &syntax.Word{Parts: append([]syntax.WordPart(nil), w.Parts...)}
	if !syntax.SplitBraces(cp) {
		return true
	}
	expands := false
	syntax.Walk(cp, func(n syntax.Node) bool {
		// "{}" splits into a one-element BraceExp, which bash leaves as is.
		if b, ok := n.(*syntax.BraceExp); ok && (b.Sequence || len(b.Elems) > 1) {
			expands = true
		}
		return !expands
	})
	return !expands
}

// expandCfg is the planner's own expansion config: expand's nil config is a
// shared global it writes to on every call, a data race between requests.
func (p *planner) expandCfg() *expand.Config {
	if p.expand == nil {
		p.expand = &expand.Config{Env: expand.ListEnviron()}
	}
	return p.expand
}

func (p *planner) print(n syntax.Node) string {
	var b strings.Builder
	if err := p.printer.Print(&b, n); err != nil {
		// Only unsupported node types fail; a placeholder keeps the word
		// visibly non-literal.
		return "<unprintable>"
	}
	return b.String()
}

// nameOf is the command name a policy matches: the base name of a literal
// argv[0], or the source text of a non-literal one (a base name of
// "$(echo /bin/rm)" would be nonsense).
func nameOf(w word) string {
	if !w.lit || w.text == "" {
		return w.text
	}
	if b := path.Base(w.text); b != "/" && b != "." {
		return b
	}
	return w.text
}

func texts(ws []word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.text
	}
	return out
}

func allLiteral(ws []word) bool {
	for _, w := range ws {
		if !w.lit {
			return false
		}
	}
	return true
}

func joinWords(ws []word) string {
	return strings.Join(texts(ws), " ")
}
