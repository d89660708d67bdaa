package shell

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// unwrapFunc plans what a wrapper runs; inv.argv[0] is the wrapper.
type unwrapFunc func(p *planner, inv invocation, sc scope) error

// unwrappers is every program the planner looks through. Wrappers run
// another program from their argv; code runners (shells, eval, trap, watch,
// su -c, git's "!" aliases) run a script, which is parsed in turn.
var unwrappers map[string]unwrapFunc

func init() {
	unwrappers = map[string]unwrapFunc{
		"sh": unwrapShell, "bash": unwrapShell, "dash": unwrapShell, "zsh": unwrapShell,
		"ksh": unwrapShell, "mksh": unwrapShell, "ash": unwrapShell,
		"sudo": unwrapSudo, "doas": simple(flags{short: "nsL", shortValue: "uC"}, 0),
		"env":     unwrapEnv,
		"nice":    simple(flags{shortValue: "n", numeric: true, long: longs(argRequired, "adjustment")}, 0),
		"nohup":   simple(flags{}, 0),
		"setsid":  simple(flags{short: "cfw", long: longs(argNone, "ctty", "fork", "wait")}, 0),
		"ionice":  simple(flags{short: "t", shortValue: "cn", long: merge(longs(argRequired, "class", "classdata"), longs(argNone, "ignore"))}, 0),
		"timeout": simple(flags{short: "vfp", shortValue: "sk", long: merge(longs(argRequired, "signal", "kill-after"), longs(argNone, "preserve-status", "foreground", "verbose"))}, 1),
		"stdbuf":  simple(flags{shortValue: "ioe", long: longs(argRequired, "input", "output", "error")}, 0),
		"time":    simple(flags{short: "pavq", shortValue: "fo", long: merge(longs(argRequired, "format", "output"), longs(argNone, "portability", "append", "verbose", "quiet"))}, 0),
		"command": unwrapCommand,
		"builtin": simple(flags{}, 0),
		"exec":    simple(flags{short: "cl", shortValue: "a"}, 0),
		"strace":  simple(flags{short: "cCdDfFhiqrtTvVwxyzZk", shortValue: "oepsuEabIOSXP", long: longs(argOptional, "output", "trace", "attach", "string-limit", "user", "env", "signal", "status", "summary-only", "follow-forks", "output-separately", "quiet", "decode-fds")}, 0),
		"ltrace":  simple(flags{short: "bcCfhiLrStTV", shortValue: "aAeEDFlnopsuwx", long: longs(argOptional, "output", "library", "demangle", "indent", "align")}, 0),
		"chroot":  unwrapChroot,
		"busybox": simple(flags{}, 0),
		"xargs":   unwrapXargs,
		"find":    unwrapFind,
		"git":     unwrapGit,
		"watch":   unwrapWatch,
		"su":      unwrapSu,
		"eval":    unwrapEval,
		"trap":    unwrapTrap,
		"source":  unwrapSource, ".": unwrapSource,
		"alias":  unwrapAlias,
		"export": unwrapDecl, "declare": unwrapDecl, "typeset": unwrapDecl, "local": unwrapDecl,
		"readonly": unwrapDecl,
		"cd":       (*planner).chdir, "pushd": (*planner).chdir, "popd": (*planner).chdir,
	}
}

// simple is a wrapper whose argv is: options, skip operands (timeout's
// duration), then the command.
func simple(f flags, skip int) unwrapFunc {
	return func(p *planner, inv invocation, sc scope) error {
		args := inv.argv[1:]
		_, rest, ok := f.parse(args)
		if !ok {
			p.out.Dynamic = true
			return nil
		}
		rest += skip
		if rest >= len(args) {
			return nil
		}
		return p.wrap(inv, nameOf(inv.argv[0]), args[rest:], sc)
	}
}

// skipAssigns skips NAME=value words (env, sudo), noting risky ones.
func (p *planner) skipAssigns(args []word) []word {
	for len(args) > 0 && args[0].lit {
		name, _, ok := strings.Cut(args[0].text, "=")
		if !ok || name == "" || strings.ContainsAny(name, "/") {
			break
		}
		if riskyEnvName(name) {
			p.out.Dynamic = true
		}
		args = args[1:]
	}
	return args
}

var envFlags = flags{
	short: "i0v", shortValue: "uCS",
	long: merge(
		longs(argNone, "ignore-environment", "null", "debug", "list-signal-handling"),
		longs(argRequired, "unset", "chdir", "split-string"),
		longs(argOptional, "block-signal", "default-signal", "ignore-signal"),
	),
}

func unwrapEnv(p *planner, inv invocation, sc scope) error {
	args := inv.argv[1:]
	if len(args) > 0 && args[0].lit && args[0].text == "-" {
		args = args[1:]
	}
	opts, rest, ok := envFlags.parse(args)
	if !ok {
		p.out.Dynamic = true
		return nil
	}
	if dir, ok := hasOpt(opts, "-C", "--chdir"); ok {
		if _, outside := p.resolvePath(dir); outside {
			p.out.Outside = true
		}
	}
	if s, ok := hasOpt(opts, "-S", "--split-string"); ok {
		// -S splits its string into words (roughly as a shell would) and
		// prepends them to the command: plan it as a script.
		return p.nestedScript(s+" "+joinWords(args[rest:]), "env", syntax.LangPOSIX, sc)
	}
	return p.wrap(inv, "env", p.skipAssigns(args[rest:]), sc)
}

var sudoFlags = flags{
	short: "AbEHiKklnPSsVvBNe", shortValue: "ugpCDrtTUhR",
	long: merge(
		longs(argNone, "askpass", "background", "login", "remove-timestamp", "reset-timestamp",
			"list", "non-interactive", "preserve-groups", "stdin", "shell", "set-home",
			"validate", "version", "help", "bell", "edit"),
		longs(argRequired, "user", "group", "prompt", "close-from", "chdir", "role", "type",
			"command-timeout", "other-user", "host", "chroot"),
		longs(argOptional, "preserve-env"),
	),
}

func unwrapSudo(p *planner, inv invocation, sc scope) error {
	args := inv.argv[1:]
	opts, rest, ok := sudoFlags.parse(args)
	if !ok {
		p.out.Dynamic = true
		return nil
	}
	if _, ok := hasOpt(opts, "-e", "--edit"); ok {
		return nil // sudoedit: operands are files
	}
	if _, ok := hasOpt(opts, "-R", "--chroot"); ok {
		p.out.Dynamic, p.out.Outside = true, true
	}
	return p.wrap(inv, "sudo", p.skipAssigns(args[rest:]), sc)
}

func unwrapCommand(p *planner, inv invocation, sc scope) error {
	args := inv.argv[1:]
	opts, rest, ok := flags{short: "pvV"}.parse(args)
	if !ok {
		p.out.Dynamic = true
		return nil
	}
	if _, lookup := hasOpt(opts, "-v", "-V"); lookup {
		return nil // only describes the command
	}
	return p.wrap(inv, "command", args[rest:], sc)
}

func unwrapChroot(p *planner, inv invocation, sc scope) error {
	// What runs comes from another root: names mean nothing here.
	p.out.Dynamic, p.out.Outside = true, true
	args := inv.argv[1:]
	_, rest, ok := flags{long: merge(longs(argRequired, "userspec", "groups"), longs(argNone, "skip-chdir"))}.parse(args)
	if !ok || rest+1 >= len(args) {
		return nil
	}
	return p.wrap(inv, "chroot", args[rest+1:], sc)
}

var xargsFlags = flags{
	short: "0prtxo", shortValue: "adEILnPs", shortOpt: "eil",
	long: merge(
		longs(argNone, "null", "interactive", "no-run-if-empty", "verbose", "exit", "open-tty", "show-limits"),
		longs(argRequired, "arg-file", "delimiter", "max-args", "max-procs", "max-chars", "process-slot-var"),
		longs(argOptional, "eof", "replace", "max-lines"),
	),
}

func unwrapXargs(p *planner, inv invocation, sc scope) error {
	args := inv.argv[1:]
	opts, rest, ok := xargsFlags.parse(args)
	if !ok {
		p.out.Dynamic = true
		return nil
	}
	cmd := args[rest:]
	if len(cmd) == 0 {
		cmd = []word{{text: "echo", lit: true}}
	}
	inv.extra = true
	if r, ok := hasOpt(opts, "-I", "--replace", "-i"); ok {
		inv.repl = r
		if inv.repl == "" {
			inv.repl = "{}"
		}
	}
	return p.wrap(inv, "xargs", cmd, sc)
}

// unwrapFind plans each -exec/-execdir/-ok/-okdir command.
func unwrapFind(p *planner, inv invocation, sc scope) error {
	args := inv.argv[1:]
	for i := 0; i < len(args); i++ {
		switch args[i].text {
		case "-exec", "-execdir", "-ok", "-okdir":
		default:
			continue
		}
		j := i + 1
		for ; j < len(args); j++ {
			t := args[j].text
			if args[j].lit && (t == ";" || (t == "+" && j > i+1 && args[j-1].text == "{}")) {
				break
			}
		}
		sub := inv
		sub.extra, sub.repl = true, "{}"
		if err := p.wrap(sub, "find", args[i+1:j], sc); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// Git config keys whose value git runs as a command (or that pull in more
// config), by exact name, prefix and suffix.
var (
	gitExecKeys = map[string]bool{
		"core.pager": true, "core.editor": true, "core.sshcommand": true, "core.fsmonitor": true,
		"core.hookspath": true, "core.askpass": true, "core.gitproxy": true, "core.worktree": true,
		"credential.helper": true, "diff.external": true, "sequence.editor": true,
		"gpg.program": true, "uploadpack.packobjectshook": true, "include.path": true,
	}
	gitExecPrefixes = []string{"pager.", "filter.", "includeif.", "protocol.", "credential."}
	gitExecSuffixes = []string{".textconv", ".command", ".driver", ".uploadpack", ".receivepack",
		".program", ".helper", ".cmd", ".sshcommand", ".proxy"}
)

func gitExecKey(key string) bool {
	if gitExecKeys[key] {
		return true
	}
	for _, s := range gitExecPrefixes {
		if strings.HasPrefix(key, s) {
			return true
		}
	}
	for _, s := range gitExecSuffixes {
		if strings.HasSuffix(key, s) {
			return true
		}
	}
	return false
}

func unwrapGit(p *planner, inv invocation, sc scope) error {
	args := inv.argv[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !a.lit {
			p.out.Dynamic = true
			return nil
		}
		switch {
		case a.text == "-c" || a.text == "--config-env" || a.text == "-C" ||
			a.text == "--git-dir" || a.text == "--work-tree" || a.text == "--namespace":
			if i+1 >= len(args) {
				return nil
			}
			i++
			if a.text == "-c" {
				if err := p.gitConfig(args[i], inv, sc); err != nil {
					return err
				}
			} else if a.text == "--config-env" {
				p.out.Dynamic = true
			}
		case strings.HasPrefix(a.text, "--config-env="), strings.HasPrefix(a.text, "--exec-path="):
			p.out.Dynamic = true
		case strings.HasPrefix(a.text, "-c") && len(a.text) > 2:
			if err := p.gitConfig(word{text: a.text[2:], lit: true}, inv, sc); err != nil {
				return err
			}
		case strings.HasPrefix(a.text, "-"):
		default:
			return p.gitSubcommand(inv, args[i:], sc)
		}
	}
	return nil
}

// gitSubcommand finds the subcommands that run commands of their own.
func (p *planner) gitSubcommand(inv invocation, args []word, sc scope) error {
	switch args[0].text {
	case "submodule":
		for i, a := range args {
			if a.text == "foreach" {
				ws := args[i+1:]
				for len(ws) > 0 && ws[0].lit && strings.HasPrefix(ws[0].text, "-") {
					ws = ws[1:]
				}
				return p.codeWords(inv, "git", ws, syntax.LangPOSIX, sc)
			}
		}
	case "bisect":
		if len(args) > 2 && args[1].text == "run" {
			return p.wrap(inv, "git", args[2:], sc)
		}
	case "rebase":
		for i, a := range args {
			switch {
			case (a.text == "-x" || a.text == "--exec") && i+1 < len(args):
				if err := p.codeWords(inv, "git", args[i+1:i+2], syntax.LangPOSIX, sc); err != nil {
					return err
				}
			case strings.HasPrefix(a.text, "--exec="):
				w := word{text: strings.TrimPrefix(a.text, "--exec="), lit: a.lit}
				if err := p.codeWords(inv, "git", []word{w}, syntax.LangPOSIX, sc); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// gitConfig looks at one -c key=value: a "!" alias is a shell script, and a
// key whose value git executes makes the plan dynamic.
func (p *planner) gitConfig(kv word, inv invocation, sc scope) error {
	if !kv.lit {
		p.out.Dynamic = true
		return nil
	}
	key, val, _ := strings.Cut(kv.text, "=")
	key = strings.ToLower(key)
	if strings.HasPrefix(key, "alias.") {
		if script, ok := strings.CutPrefix(strings.TrimSpace(val), "!"); ok {
			return p.nestedScript(script, "git", syntax.LangPOSIX, sc)
		}
		return nil
	}
	if gitExecKey(key) {
		p.out.Dynamic = true
	}
	return nil
}

var watchFlags = flags{
	short: "bcCdefghprtwx", shortValue: "nq",
	long: merge(
		longs(argNone, "beep", "color", "no-color", "errexit", "chgexit", "exec", "no-title",
			"precise", "no-wrap", "no-rerun", "help", "version"),
		longs(argRequired, "interval", "equexit"),
		longs(argOptional, "differences"),
	),
}

// unwrapWatch: without -x, watch passes its joined operands to sh -c.
func unwrapWatch(p *planner, inv invocation, sc scope) error {
	args := inv.argv[1:]
	opts, rest, ok := watchFlags.parse(args)
	if !ok {
		p.out.Dynamic = true
		return nil
	}
	cmd := args[rest:]
	if len(cmd) == 0 {
		return nil
	}
	if _, ok := hasOpt(opts, "-x", "--exec"); ok {
		return p.wrap(inv, "watch", cmd, sc)
	}
	return p.codeWords(inv, "watch", cmd, syntax.LangPOSIX, sc)
}

func unwrapSu(p *planner, inv invocation, sc scope) error {
	args := inv.argv[1:]
	opts, _, ok := flags{
		short: "lmpfP", shortValue: "cCsgGw",
		long: merge(longs(argNone, "login", "preserve-environment", "pty", "fast"),
			longs(argRequired, "command", "session-command", "shell", "group", "supp-group", "whitelist-environment")),
	}.parse(args)
	if !ok {
		p.out.Dynamic = true
		return nil
	}
	if script, ok := hasOpt(opts, "-c", "-C", "--command", "--session-command"); ok {
		return p.nestedScript(script, "su", syntax.LangPOSIX, sc)
	}
	return nil
}

// codeWords plans words that are joined and run as a script.
func (p *planner) codeWords(inv invocation, name string, ws []word, lang syntax.LangVariant, sc scope) error {
	if !allLiteral(ws) || inv.extra {
		p.out.Dynamic = true
		return nil
	}
	return p.nestedScript(joinWords(ws), name, lang, sc)
}

func unwrapEval(p *planner, inv invocation, sc scope) error {
	args := inv.argv[1:]
	if len(args) > 0 && args[0].lit && args[0].text == "--" {
		args = args[1:]
	}
	if len(args) == 0 && !inv.extra {
		return nil
	}
	return p.codeWords(inv, "eval", args, sc.lang, sc)
}

// unwrapTrap: trap's first operand is a script run on a signal.
func unwrapTrap(p *planner, inv invocation, sc scope) error {
	args := inv.argv[1:]
	if len(args) > 0 && args[0].lit && args[0].text == "--" {
		args = args[1:]
	}
	if len(args) < 2 {
		return nil // lists, or resets one signal
	}
	if args[0].lit && (args[0].text == "-" || args[0].text == "") {
		return nil
	}
	return p.codeWords(inv, "trap", args[:1], sc.lang, sc)
}

// unwrapSource: a sourced file's content is unknown, like sh script.sh,
// but which file is sourced must be known.
func unwrapSource(p *planner, inv invocation, sc scope) error {
	if len(inv.argv) < 2 || !inv.argv[1].lit || inv.extra {
		p.out.Dynamic = true
	}
	return nil
}

// unwrapDecl checks assignments made by export and friends when the parser
// sees them as plain commands (sh dialect, or behind command/builtin).
func unwrapDecl(p *planner, inv invocation, sc scope) error {
	for _, a := range inv.argv[1:] {
		name, _, ok := strings.Cut(a.text, "=")
		if riskyEnvName(strings.TrimSuffix(name, "+")) || (!a.lit && !ok) {
			p.out.Dynamic = true
		}
	}
	return nil
}

// unwrapAlias: an alias can make any later word run something else.
func unwrapAlias(p *planner, inv invocation, sc scope) error {
	for _, a := range inv.argv[1:] {
		if !a.lit || strings.Contains(a.text, "=") {
			p.out.Dynamic = true
		}
	}
	return nil
}

var shellFlags = flags{
	short: "abcefhikmnprstuvxBCEHPTl", shortValue: "oO", plus: true,
	long: merge(
		longs(argNone, "norc", "noprofile", "posix", "login", "verbose", "debugger", "restricted",
			"noediting", "pretty-print", "dump-strings", "dump-po-strings", "help", "version"),
		longs(argRequired, "rcfile", "init-file"),
	),
}

// unwrapShell plans what a shell runs: the -c script, a script from a
// heredoc or here-string, or nothing knowable (a script file, whose content
// is unknown but not dynamic, or a pipe, which is dynamic).
func unwrapShell(p *planner, inv invocation, sc scope) error {
	name := nameOf(inv.argv[0])
	lang := syntax.LangPOSIX
	switch name {
	case "bash":
		lang = syntax.LangBash
	case "zsh":
		lang = syntax.LangZsh
	case "ksh", "mksh":
		lang = syntax.LangMirBSDKorn
	}
	args := inv.argv[1:]
	opts, rest, ok := shellFlags.parse(args)
	if !ok {
		p.out.Dynamic = true
		return nil
	}
	operands := args[rest:]
	if _, ok := hasOpt(opts, "-c"); ok {
		if len(operands) == 0 {
			if inv.extra {
				p.out.Dynamic = true
			}
			return nil
		}
		script := operands[0]
		if !script.lit || (inv.repl != "" && strings.Contains(script.text, inv.repl)) {
			p.out.Dynamic = true
			return nil
		}
		return p.nestedScript(script.text, name, lang, sc)
	}
	if _, ok := hasOpt(opts, "-s"); !ok && len(operands) > 0 {
		return nil // a script file
	}
	if inv.stdin != nil {
		switch inv.stdin.Op {
		case syntax.RdrIn:
			return nil // a script file
		case syntax.Hdoc, syntax.DashHdoc, syntax.WordHdoc:
			if src, ok := p.stdinScript(inv.stdin); ok {
				return p.nestedScript(src, name, lang, sc)
			}
		}
		p.out.Dynamic = true
		return nil
	}
	if sc.piped || inv.extra {
		p.out.Dynamic = true
	}
	return nil
}
