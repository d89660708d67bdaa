package shell

import (
	"path"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/airlock-dev/airlock/policy"
)

// invocation is one program about to be planned.
type invocation struct {
	argv   []word
	redirs []policy.Redirect
	// stdin is the redirection feeding fd 0, for shells reading a script.
	stdin *syntax.Redirect
	// extra: the program receives more arguments than argv shows (xargs,
	// find -exec), so argv is not literal and code-taking programs are
	// dynamic.
	extra bool
	// repl is the token xargs -I / find -exec replaces with input.
	repl string
}

func (p *planner) call(s *syntax.Stmt, c *syntax.CallExpr, redirs []policy.Redirect, sc scope) error {
	for _, a := range c.Assigns {
		p.assign(a.Name)
	}
	if len(c.Args) > 0 {
		argv := make([]word, len(c.Args))
		for i, a := range c.Args {
			argv[i] = p.evalWord(a)
		}
		inv := invocation{argv: argv, redirs: redirs, stdin: stdinOf(s.Redirs)}
		if err := p.command(inv, sc); err != nil {
			return err
		}
	}
	for _, a := range c.Assigns {
		if err := p.substs(a, sc); err != nil {
			return err
		}
	}
	for _, w := range c.Args {
		if err := p.substs(w, sc); err != nil {
			return err
		}
	}
	return nil
}

// command lists the program and, when it is a wrapper, what it wraps.
func (p *planner) command(inv invocation, sc scope) error {
	if err := p.emit(inv.argv, inv.redirs, inv.extra, sc); err != nil {
		return err
	}
	head := inv.argv[0]
	if !head.lit || (inv.repl != "" && strings.Contains(head.text, inv.repl)) {
		p.out.Dynamic = true
		return nil
	}
	if u, ok := unwrappers[nameOf(head)]; ok {
		return u(p, inv, sc)
	}
	return nil
}

func (p *planner) emit(argv []word, redirs []policy.Redirect, extra bool, sc scope) error {
	p.count++
	if p.count > MaxCommands {
		return ErrTooMany
	}
	p.out.Commands = append(p.out.Commands, policy.SimpleCommand{
		Name:      nameOf(argv[0]),
		Argv:      texts(argv),
		Literal:   allLiteral(argv) && !extra,
		Op:        p.op,
		WrappedBy: slices.Clone(sc.wrappers),
		Redirects: redirs,
	})
	p.op = ""
	return nil
}

// wrap plans argv as the program a wrapper named name runs.
func (p *planner) wrap(inv invocation, name string, argv []word, sc scope) error {
	if len(argv) == 0 {
		return nil
	}
	inner, err := sc.wrapped(name)
	if err != nil {
		return err
	}
	p.op = ""
	return p.command(invocation{argv: argv, stdin: inv.stdin, extra: inv.extra, repl: inv.repl}, inner)
}

// nestedScript plans src as a script run by a wrapper named name.
func (p *planner) nestedScript(src, name string, lang syntax.LangVariant, sc scope) error {
	inner, err := sc.wrapped(name)
	if err != nil {
		return err
	}
	inner.piped = false
	return p.subshell(func() error { return p.script(src, lang, inner) })
}

func (p *planner) decl(c *syntax.DeclClause, redirs []policy.Redirect, sc scope) error {
	argv := []word{{text: c.Variant.Value, lit: true}}
	for _, a := range c.Args {
		switch {
		case a.Naked && a.Name == nil:
			argv = append(argv, p.evalWord(a.Value))
		case a.Naked:
			argv = append(argv, word{text: a.Name.Value, lit: true})
		default:
			p.assign(a.Name)
			w := word{text: p.print(a), lit: a.Array == nil && a.Index == nil}
			if a.Value != nil && w.lit {
				v := p.evalWord(a.Value)
				op := "="
				if a.Append {
					op = "+="
				}
				w = word{text: a.Name.Value + op + v.text, lit: v.lit}
			}
			argv = append(argv, w)
		}
	}
	if err := p.emit(argv, redirs, false, sc); err != nil {
		return err
	}
	return p.substs(c, sc)
}

// riskyEnv are variables whose value decides which program runs or runs
// code by itself, so assigning them makes command names unreliable.
var riskyEnv = map[string]bool{
	"PATH": true, "LD_PRELOAD": true, "LD_LIBRARY_PATH": true, "LD_AUDIT": true,
	"BASH_ENV": true, "ENV": true, "SHELLOPTS": true, "BASHOPTS": true, "PS4": true,
	"PROMPT_COMMAND": true, "IFS": true, "CDPATH": true, "BASH_LOADABLES_PATH": true,
	"GIT_SSH": true, "GIT_SSH_COMMAND": true, "GIT_EXTERNAL_DIFF": true, "GIT_PAGER": true,
	"GIT_EDITOR": true, "GIT_ASKPASS": true, "GIT_EXEC_PATH": true, "GIT_SEQUENCE_EDITOR": true,
	"PAGER": true, "EDITOR": true, "VISUAL": true, "SSH_ASKPASS": true,
}

func riskyEnvName(name string) bool {
	return riskyEnv[name] || strings.HasPrefix(name, "GIT_CONFIG") || strings.HasPrefix(name, "BASH_FUNC_")
}

func (p *planner) assign(name *syntax.Lit) {
	if name != nil && riskyEnvName(name.Value) {
		p.out.Dynamic = true
	}
}

// chdir follows cd lexically so that later redirections resolve where the
// shell would put them. A directory that cannot be known is Dynamic and
// Outside; a cd in a conditional branch is followed as if it ran (an
// over-approximation the docs call out).
func (p *planner) chdir(inv invocation, sc scope) error {
	for _, w := range sc.wrappers {
		if w != "command" && w != "builtin" {
			return nil // cd under sudo, env... runs nothing in this shell
		}
	}
	args := inv.argv[1:]
	if nameOf(inv.argv[0]) == "popd" {
		p.out.Dynamic = true
		return nil
	}
	_, rest, ok := flags{short: "LPe@n"}.parse(args)
	if !ok || rest >= len(args) {
		// cd alone goes home, outside the workspace.
		p.out.Outside = true
		p.out.Dynamic = p.out.Dynamic || !ok
		return nil
	}
	dir := args[rest]
	if !dir.lit || dir.text == "-" {
		p.out.Outside, p.out.Dynamic = true, true
		return nil
	}
	if _, outside := p.resolvePath(dir.text); outside {
		p.out.Outside = true
	}
	if path.IsAbs(dir.text) {
		p.cdPrefix = path.Clean(dir.text)
	} else {
		p.cdPrefix = path.Join(p.cdPrefix, dir.text)
	}
	return nil
}
