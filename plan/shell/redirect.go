package shell

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"

	"github.com/airlock-dev/airlock/policy"
)

// harmlessSinks are write targets that change nothing a policy protects.
var harmlessSinks = map[string]bool{"/dev/null": true, "/dev/stdout": true, "/dev/stderr": true}

// redirects converts a statement's redirections and records the writes in
// the flattened facts.
func (p *planner) redirects(rs []*syntax.Redirect) []policy.Redirect {
	if len(rs) == 0 {
		return nil
	}
	out := make([]policy.Redirect, 0, len(rs))
	for _, r := range rs {
		pr := p.redirect(r)
		if pr.Write && pr.Path != "" && !harmlessSinks[pr.Path] {
			p.writes = append(p.writes, pr.Path)
			if pr.Outside {
				p.out.Outside = true
			}
		}
		out = append(out, pr)
	}
	return out
}

func (p *planner) redirect(r *syntax.Redirect) policy.Redirect {
	pr := policy.Redirect{Op: r.Op.String()}
	if r.N != nil {
		pr.Op = r.N.Value + pr.Op
	}
	target := p.evalWord(r.Word)
	pr.Target = target.text
	switch r.Op {
	case syntax.Hdoc, syntax.DashHdoc, syntax.WordHdoc:
		return pr
	case syntax.DplIn, syntax.DplOut:
		// <&3, >&2, >&- duplicate descriptors; bash's >&file writes a file.
		if !target.lit || !isFD(target.text) {
			pr.Write = r.Op == syntax.DplOut
			p.resolveTarget(&pr, target)
		}
		return pr
	case syntax.RdrIn:
	default:
		pr.Write = true
	}
	p.resolveTarget(&pr, target)
	return pr
}

func isFD(s string) bool {
	s = strings.TrimSuffix(s, "-")
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// resolveTarget fills Path and Outside. A target the shell would expand
// cannot be placed, so it counts as outside.
func (p *planner) resolveTarget(pr *policy.Redirect, target word) {
	if !target.lit {
		pr.Path, pr.Outside = target.text, true
		return
	}
	if harmlessSinks[path.Clean(target.text)] && path.IsAbs(target.text) {
		pr.Path = path.Clean(target.text)
		return
	}
	rel, outside := p.resolvePath(target.text)
	pr.Outside = outside
	pr.Path = rel
	if outside {
		pr.Path = target.text
	}
}

// resolvePath resolves a literal path word against the cwd as changed by
// earlier cd commands.
func (p *planner) resolvePath(s string) (string, bool) {
	if p.cdPrefix != "" && !path.IsAbs(s) {
		s = path.Join(p.cdPrefix, s)
	}
	return p.resolve(s)
}

// stdinOf returns the redirection that last sets fd 0, if any.
func stdinOf(rs []*syntax.Redirect) *syntax.Redirect {
	var in *syntax.Redirect
	for _, r := range rs {
		if r.N != nil && r.N.Value != "0" {
			continue
		}
		switch r.Op {
		case syntax.RdrIn, syntax.RdrInOut, syntax.DplIn, syntax.Hdoc, syntax.DashHdoc, syntax.WordHdoc:
			in = r
		}
	}
	return in
}

// stdinScript returns the text a shell would read from a heredoc or
// here-string, and whether it is known.
func (p *planner) stdinScript(r *syntax.Redirect) (string, bool) {
	switch r.Op {
	case syntax.WordHdoc:
		w := p.evalWord(r.Word)
		return w.text + "\n", w.lit
	case syntax.Hdoc, syntax.DashHdoc:
		if r.Hdoc == nil {
			return "", true
		}
		if quotedDelim(r.Word) {
			var b strings.Builder
			for _, part := range r.Hdoc.Parts {
				lit, ok := part.(*syntax.Lit)
				if !ok {
					return "", false
				}
				b.WriteString(lit.Value)
			}
			return b.String(), true
		}
		for _, part := range r.Hdoc.Parts {
			if _, ok := part.(*syntax.Lit); !ok {
				return "", false
			}
		}
		s, err := expand.Document(p.expandCfg(), r.Hdoc)
		return s, err == nil
	}
	return "", false
}

// quotedDelim reports whether a heredoc delimiter is quoted, which makes the
// body raw text.
func quotedDelim(w *syntax.Word) bool {
	if w == nil {
		return false
	}
	for _, part := range w.Parts {
		lit, ok := part.(*syntax.Lit)
		if !ok || strings.Contains(lit.Value, `\`) {
			return true
		}
	}
	return false
}
