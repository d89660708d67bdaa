package shell

import (
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"

	"github.com/airlock-dev/airlock/policy"
)

// planner accumulates one plan. It is not safe for concurrent use; each
// Parse call makes its own.
type planner struct {
	resolve Resolver
	printer *syntax.Printer
	expand  *expand.Config
	out     policy.Command
	writes  []string
	// op is the operator joining the next emitted command to the previous one.
	op string
	// cdPrefix is the lexical effect of cd so far, relative to the starting
	// cwd (or absolute), used to resolve later redirections.
	cdPrefix string
	count    int
}

// scope is what a nested construct inherits.
type scope struct {
	wrappers []string
	depth    int
	lang     syntax.LangVariant
	// piped is true when stdin is a pipe from an earlier command.
	piped bool
}

func (sc scope) wrapped(name string) (scope, error) {
	if sc.depth+1 > MaxDepth {
		return sc, ErrTooDeep
	}
	sc.depth++
	sc.wrappers = append(sc.wrappers[:len(sc.wrappers):len(sc.wrappers)], name)
	return sc, nil
}

// nestedStmts plans a list that starts afresh (a script, a substitution, a
// function body): its first command has no joining operator, and a cd in it
// does not outlive it unless it is the top-level script.
func (p *planner) nestedStmts(stmts []*syntax.Stmt, sc scope) error {
	p.op = ""
	return p.stmts(stmts, sc)
}

func (p *planner) stmts(stmts []*syntax.Stmt, sc scope) error {
	for i, s := range stmts {
		if i > 0 {
			p.op = ";"
			if stmts[i-1].Background || stmts[i-1].Coprocess || stmts[i-1].Disown {
				p.op = "&"
			}
		}
		if err := p.stmt(s, sc); err != nil {
			return err
		}
	}
	return nil
}

// subshell runs f with cd changes discarded afterwards, as a subshell does.
func (p *planner) subshell(f func() error) error {
	saved := p.cdPrefix
	err := f()
	p.cdPrefix = saved
	return err
}

func (p *planner) stmt(s *syntax.Stmt, sc scope) error {
	if stdinOf(s.Redirs) != nil {
		sc.piped = false
	}
	redirs := p.redirects(s.Redirs)
	var err error
	switch c := s.Cmd.(type) {
	case nil:
	case *syntax.CallExpr:
		err = p.call(s, c, redirs, sc)
	case *syntax.Block:
		err = p.stmts(c.Stmts, sc)
	case *syntax.Subshell:
		err = p.subshell(func() error { return p.stmts(c.Stmts, sc) })
	case *syntax.BinaryCmd:
		err = p.binary(c, sc)
	case *syntax.IfClause:
		err = p.ifClause(c, sc)
	case *syntax.WhileClause:
		if err = p.stmts(c.Cond, sc); err == nil {
			err = p.stmts(c.Do, sc)
		}
	case *syntax.ForClause:
		if err = p.substs(c.Loop, sc); err == nil {
			err = p.stmts(c.Do, sc)
		}
	case *syntax.CaseClause:
		err = p.caseClause(c, sc)
	case *syntax.FuncDecl:
		// The body runs when called, not here; list it so nothing hides in
		// a function, as a list of its own.
		err = p.subshell(func() error { return p.nestedStmts([]*syntax.Stmt{c.Body}, sc) })
	case *syntax.DeclClause:
		err = p.decl(c, redirs, sc)
	case *syntax.TimeClause:
		err = p.timeClause(c, sc)
	default:
		// Arithmetic, [[ ]], let, coproc and anything newer: whatever they
		// contain that can run is a substitution or a statement, which the
		// generic walk finds.
		err = p.substs(c, sc)
	}
	if err != nil {
		return err
	}
	for _, r := range s.Redirs {
		if err := p.substs(r, sc); err != nil {
			return err
		}
	}
	return nil
}

func (p *planner) binary(c *syntax.BinaryCmd, sc scope) error {
	switch c.Op {
	case syntax.Pipe, syntax.PipeAll:
		// Each side of a pipeline is a subshell (bash without lastpipe).
		if err := p.subshell(func() error { return p.stmt(c.X, sc) }); err != nil {
			return err
		}
		p.op = "|"
		sc.piped = true
		return p.subshell(func() error { return p.stmt(c.Y, sc) })
	}
	if err := p.stmt(c.X, sc); err != nil {
		return err
	}
	p.op = "&&"
	if c.Op == syntax.OrStmt {
		p.op = "||"
	}
	return p.stmt(c.Y, sc)
}

func (p *planner) ifClause(c *syntax.IfClause, sc scope) error {
	for ; c != nil; c = c.Else {
		if err := p.stmts(c.Cond, sc); err != nil {
			return err
		}
		if err := p.stmts(c.Then, sc); err != nil {
			return err
		}
	}
	return nil
}

func (p *planner) caseClause(c *syntax.CaseClause, sc scope) error {
	if err := p.substs(c.Word, sc); err != nil {
		return err
	}
	for _, it := range c.Items {
		for _, pat := range it.Patterns {
			if err := p.substs(pat, sc); err != nil {
				return err
			}
		}
		if err := p.stmts(it.Stmts, sc); err != nil {
			return err
		}
	}
	return nil
}

func (p *planner) timeClause(c *syntax.TimeClause, sc scope) error {
	argv := []word{{text: "time", lit: true}}
	if c.PosixFormat {
		argv = append(argv, word{text: "-p", lit: true})
	}
	if err := p.emit(argv, nil, false, sc); err != nil {
		return err
	}
	if c.Stmt == nil {
		return nil
	}
	inner, err := sc.wrapped("time")
	if err != nil {
		return err
	}
	p.op = ""
	return p.stmt(c.Stmt, inner)
}

// substs plans every command substitution and process substitution found
// anywhere under node (words, parameter expansions, arithmetic, heredoc
// bodies), each as a list of its own in a subshell.
func (p *planner) substs(node syntax.Node, sc scope) error {
	if node == nil {
		return nil
	}
	var err error
	syntax.Walk(node, func(n syntax.Node) bool {
		if err != nil {
			return false
		}
		switch n := n.(type) {
		case *syntax.CmdSubst:
			err = p.subshell(func() error { return p.nestedStmts(n.Stmts, sc) })
			return false
		case *syntax.ProcSubst:
			err = p.subshell(func() error { return p.nestedStmts(n.Stmts, sc) })
			return false
		case *syntax.Stmt:
			err = p.subshell(func() error { return p.nestedStmts([]*syntax.Stmt{n}, sc) })
			return false
		}
		return true
	})
	return err
}
