package shell

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/airlock-dev/airlock/policy"
)

// Limits. They bound the work and the stack used on hostile input: the
// parser recurses once per nesting level and a Go stack overflow cannot be
// recovered, so depth is checked before parsing, not after.
const (
	// MaxScriptBytes is the largest script accepted.
	MaxScriptBytes = 256 << 10
	// MaxBracketDepth bounds the raw nesting of "(" and "{" in a script,
	// counted without regard to quoting (so it may over-count, never under).
	MaxBracketDepth = 512
	// MaxDepth bounds nested scripts and wrappers (bash -c inside sudo
	// inside env ...).
	MaxDepth = 16
	// MaxCommands bounds the planned simple commands, wrappers included.
	MaxCommands = 10000
)

// Errors a caller can switch on; each is wrapped with context.
var (
	ErrParse      = errors.New("shell: script cannot be parsed")
	ErrTooLarge   = errors.New("shell: script too large")
	ErrTooDeep    = errors.New("shell: nesting too deep")
	ErrTooMany    = errors.New("shell: too many commands")
	ErrBadDialect = errors.New("shell: unknown dialect")
	ErrEmptyArgv  = errors.New("shell: empty argv")
)

// ParseScript plans a script run by the given dialect ("sh", "bash"; ""
// means "bash") in cwd, a workspace-relative directory. resolve maps path
// words to workspace paths; nil means DefaultResolver(cwd).
func ParseScript(script, dialect, cwd string, resolve Resolver) (*policy.Command, error) {
	lang, err := langOf(dialect)
	if err != nil {
		return nil, err
	}
	p := newPlanner(cwd, resolve)
	if err := p.script(script, lang, scope{lang: lang}); err != nil {
		return nil, err
	}
	return p.finish(), nil
}

// ParseArgv plans a program started without a shell: every word is literal
// (no expansion happens), but the program may still be a wrapper or a shell
// given a script, which is unwrapped as in ParseScript.
func ParseArgv(argv []string, cwd string, resolve Resolver) (*policy.Command, error) {
	if len(argv) == 0 {
		return nil, ErrEmptyArgv
	}
	p := newPlanner(cwd, resolve)
	words := make([]word, len(argv))
	for i, a := range argv {
		if len(a) > MaxScriptBytes {
			return nil, fmt.Errorf("argv word %d: %w", i, ErrTooLarge)
		}
		words[i] = word{text: a, lit: true}
	}
	if err := p.command(invocation{argv: words}, scope{lang: syntax.LangBash}); err != nil {
		return nil, err
	}
	return p.finish(), nil
}

func langOf(dialect string) (syntax.LangVariant, error) {
	switch dialect {
	case "sh":
		return syntax.LangPOSIX, nil
	case "bash", "":
		return syntax.LangBash, nil
	}
	return 0, fmt.Errorf("%q: %w", dialect, ErrBadDialect)
}

func newPlanner(cwd string, resolve Resolver) *planner {
	if resolve == nil {
		resolve = DefaultResolver(cwd)
	}
	p := &planner{resolve: resolve, printer: syntax.NewPrinter()}
	p.out.Cwd = cwd
	if _, outside := resolve("."); outside {
		p.out.Outside = true
	}
	return p
}

// script parses src in lang and plans it as a nested list.
func (p *planner) script(src string, lang syntax.LangVariant, sc scope) error {
	if len(src) > MaxScriptBytes {
		return fmt.Errorf("%d bytes: %w", len(src), ErrTooLarge)
	}
	if d := bracketDepth(src); d > MaxBracketDepth {
		return fmt.Errorf("bracket depth %d: %w", d, ErrTooDeep)
	}
	f, err := syntax.NewParser(syntax.Variant(lang)).Parse(strings.NewReader(src), "")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrParse, err)
	}
	sc.lang = lang
	return p.nestedStmts(f.Stmts, sc)
}

// bracketDepth over-approximates how deeply the parser will recurse.
func bracketDepth(s string) int {
	depth, maxDepth := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '{':
			depth++
			maxDepth = max(maxDepth, depth)
		case ')', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return maxDepth
}

// finish computes the flattened facts.
func (p *planner) finish() *policy.Command {
	out := &p.out
	names := make([]string, 0, len(out.Commands))
	for i := range out.Commands {
		c := &out.Commands[i]
		names = append(names, c.Name)
		if c.Argv == nil {
			c.Argv = []string{}
		}
		if c.WrappedBy == nil {
			c.WrappedBy = []string{}
		}
		if c.Redirects == nil {
			c.Redirects = []policy.Redirect{}
		}
	}
	out.Names = sortedUnique(names)
	out.RedirectWrites = sortedUnique(p.writes)
	if out.Commands == nil {
		out.Commands = []policy.SimpleCommand{}
	}
	return out
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}
