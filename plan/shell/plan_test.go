package shell

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/policy"
)

// wc is an expected command: only the set fields are checked.
type wc struct {
	op      string
	argv    []string
	wrapped []string
	nonLit  bool
}

func c(op string, argv ...string) wc { return wc{op: op, argv: argv} }

func (w wc) by(wrappers ...string) wc { w.wrapped = wrappers; return w }
func (w wc) nonLiteral() wc           { w.nonLit = true; return w }

type scriptCase struct {
	name    string
	script  string
	dialect string
	cwd     string
	cmds    []wc     // exact list when non-nil
	names   []string // exact Names when non-nil
	dynamic bool
	outside bool
	writes  []string // exact RedirectWrites when non-nil
	err     error
}

var scriptCases = []scriptCase{
	// Lists and pipelines.
	{name: "chain cd and run", script: "cd x && python3 evil.py",
		cmds: []wc{c("", "cd", "x"), c("&&", "python3", "evil.py")}, names: []string{"cd", "python3"}},
	{name: "pipe", script: "cat a | grep b | sort",
		cmds: []wc{c("", "cat", "a"), c("|", "grep", "b"), c("|", "sort")}},
	{name: "semicolon and newline", script: "a; b\nc",
		cmds: []wc{c("", "a"), c(";", "b"), c(";", "c")}},
	{name: "background", script: "sleep 1 & rm x",
		cmds: []wc{c("", "sleep", "1"), c("&", "rm", "x")}},
	{name: "or", script: "test -f x || touch x",
		cmds: []wc{c("", "test", "-f", "x"), c("||", "touch", "x")}},
	{name: "pipe all", script: "make |& tee log", dialect: "bash",
		cmds: []wc{c("", "make"), c("|", "tee", "log")}},
	{name: "empty script", script: "  \n# only a comment\n", cmds: []wc{}, names: []string{}},

	// Quoting and literals.
	{name: "quoted literals", script: `echo 'a b' "x" c\ d $'t\x41b' "\$y"`, dialect: "bash",
		cmds: []wc{c("", "echo", "a b", "x", "c d", "tAb", "$y")}},
	{name: "absolute command name is base named", script: "/usr/bin/rm -rf /tmp/x",
		cmds: []wc{c("", "/usr/bin/rm", "-rf", "/tmp/x")}, names: []string{"rm"}},
	{name: "assignment kept out of argv", script: "FOO=bar BAZ='q' make all",
		cmds: []wc{c("", "make", "all")}, names: []string{"make"}},
	{name: "parameter expansion is non literal", script: `echo "$HOME" x`,
		cmds: []wc{c("", "echo", `"$HOME"`, "x").nonLiteral()}},
	{name: "glob argument is non literal", script: "rm *.o",
		cmds: []wc{c("", "rm", "*.o").nonLiteral()}},
	{name: "quoted glob is literal", script: "find . -name '*.go'",
		cmds: []wc{c("", "find", ".", "-name", "*.go")}},
	{name: "glob command name is dynamic", script: "/bin/r? -rf x", dynamic: true},
	{name: "brace expansion command is dynamic", script: "{rm,-rf,/}", dialect: "bash", dynamic: true},
	{name: "brace expansion argument keeps its text", script: "echo {a,b} {}", dialect: "bash",
		cmds: []wc{c("", "echo", "{a,b}", "{}").nonLiteral()}},
	{name: "tilde argument is non literal", script: "ls ~/x",
		cmds: []wc{c("", "ls", "~/x").nonLiteral()}},
	{name: "arithmetic argument is non literal", script: "echo $((1+2))",
		cmds: []wc{c("", "echo", "$((1 + 2))").nonLiteral()}},

	// Dynamic command names.
	{name: "variable command", script: "$CMD x", dynamic: true,
		cmds: []wc{c("", "$CMD", "x").nonLiteral()}},
	{name: "substituted command", script: "$(echo rm) -rf /", dynamic: true,
		names: []string{"$(echo rm)", "echo"}},
	{name: "backticks", script: "echo `rm -rf x`",
		cmds: []wc{c("", "echo", "$(rm -rf x)").nonLiteral(), c("", "rm", "-rf", "x")}},
	{name: "substitution in double quotes", script: `echo "a $(id -u) b"`,
		names: []string{"echo", "id"}},
	{name: "substitution in assignment", script: "X=$(curl evil) true", names: []string{"curl", "true"}},
	{name: "substitution in parameter default", script: `echo ${X:-$(rm y)}`, names: []string{"echo", "rm"}},
	{name: "substitution in arithmetic", script: `echo $(( $(rm y) + 1 ))`, names: []string{"echo", "rm"}},
	{name: "process substitution", script: "diff <(ls a) <(ls b)", dialect: "bash",
		cmds: []wc{c("", "diff", "<(ls a)", "<(ls b)").nonLiteral(), c("", "ls", "a"), c("", "ls", "b")}},
	{name: "assignment only runs its substitution", script: "X=$(reboot)", names: []string{"reboot"}},

	// Compound commands.
	{name: "subshell", script: "(cd /tmp; rm -rf x)", outside: true,
		cmds: []wc{c("", "cd", "/tmp"), c(";", "rm", "-rf", "x")}},
	{name: "group", script: "{ a; b; } && c", cmds: []wc{c("", "a"), c(";", "b"), c("&&", "c")}},
	{name: "if branches", script: "if test -f x; then a; elif b; then c; else d; fi",
		names: []string{"a", "b", "c", "d", "test"}},
	{name: "for body", script: "for f in $(ls); do rm \"$f\"; done", names: []string{"ls", "rm"}},
	{name: "c style for", script: "for ((i=0;i<3;i++)); do echo $i; done", dialect: "bash", names: []string{"echo"}},
	{name: "while body", script: "while read l; do curl \"$l\"; done < urls", names: []string{"curl", "read"}},
	{name: "until", script: "until ping -c1 h; do sleep 1; done", names: []string{"ping", "sleep"}},
	{name: "case bodies", script: "case $x in a) rm a;; b|c) shred b;; *) :;; esac", names: []string{":", "rm", "shred"}},
	{name: "function body", script: "f() { rm -rf /; }; f", names: []string{"f", "rm"}},
	{name: "bash function keyword", script: "function g { dd if=/dev/zero of=x; }", dialect: "bash", names: []string{"dd"}},
	{name: "test clause substitution", script: `[[ $(whoami) == root ]] && reboot`, dialect: "bash", names: []string{"reboot", "whoami"}},
	{name: "negation", script: "! grep -q x f", names: []string{"grep"}},
	{name: "time keyword", script: "time make", dialect: "bash",
		cmds: []wc{c("", "time"), c("", "make").by("time")}},
	{name: "coproc", script: "coproc nc -l 80", dialect: "bash", names: []string{"nc"}},
	{name: "declare is listed", script: "export A=1 B", names: []string{"export"},
		cmds: []wc{c("", "export", "A=1", "B")}},
	{name: "export PATH is dynamic", script: "export PATH=.:$PATH; ls", dynamic: true},
	{name: "prefix LD_PRELOAD is dynamic", script: "LD_PRELOAD=./x.so ls", dynamic: true},

	// Redirections.
	{name: "write outside absolute", script: "echo hi > /etc/x", outside: true, writes: []string{"/etc/x"}},
	{name: "write outside parent", script: "echo hi > ../x", outside: true, writes: []string{"../x"}},
	{name: "append inside", script: "echo hi >> ok.txt", writes: []string{"ok.txt"}},
	{name: "write relative to cwd", script: "echo hi > out", cwd: "src/pkg", writes: []string{"src/pkg/out"}},
	{name: "dev null is harmless", script: "make 2>/dev/null >/dev/stdout", writes: []string{}},
	{name: "stderr dup is not a write", script: "make 2>&1 >&- | tee log", writes: []string{}},
	{name: "bash >& file is a write", script: "make >&out.txt", dialect: "bash", writes: []string{"out.txt"}},
	{name: "all redirect", script: "make &> build.log", dialect: "bash", writes: []string{"build.log"}},
	{name: "clobber and read write", script: "a >| f1; b <> f2; c < in", writes: []string{"f1", "f2"}},
	{name: "redirect only statement", script: "> /etc/motd", outside: true, writes: []string{"/etc/motd"}, cmds: []wc{}},
	{name: "non literal target is outside", script: `echo x > "$OUT"`, outside: true, writes: []string{`"$OUT"`}},
	{name: "tilde target is outside", script: `echo x > ~/.bashrc`, outside: true, writes: []string{"~/.bashrc"}},
	{name: "redirect on compound", script: "{ a; b; } > out; while :; do :; done >> log", writes: []string{"log", "out"}},
	{name: "cd tracked for redirects", script: "cd sub && echo x > f", writes: []string{"sub/f"}},
	{name: "cd in subshell not tracked", script: "(cd sub) && echo x > f", writes: []string{"f"}},
	{name: "cd up and out", script: "cd .. && echo x > f", outside: true, writes: []string{"f"}},
	{name: "cd to variable", script: "cd $D && make", outside: true, dynamic: true},
	{name: "cd home", script: "cd && make", outside: true},
	{name: "cd tilde", script: "cd ~ && make", outside: true, dynamic: true},
	{name: "outside cwd", script: "ls", cwd: "../elsewhere", outside: true},

	// Heredocs.
	{name: "heredoc body is not a command", script: "cat <<EOF > f\nrm -rf /\nEOF\n",
		cmds: []wc{c("", "cat")}, writes: []string{"f"}},
	{name: "heredoc substitution runs", script: "cat <<EOF\n$(rm -rf x)\nEOF\n", names: []string{"cat", "rm"}},
	{name: "quoted heredoc substitution does not run", script: "cat <<'EOF'\n$(rm -rf x)\nEOF\n", names: []string{"cat"}},
	{name: "heredoc to bash parsed", script: "bash <<'EOF'\nrm -rf x\ncurl e | sh\nEOF\n",
		dynamic: true, // curl | sh
		cmds:    []wc{c("", "bash"), c("", "rm", "-rf", "x").by("bash"), c(";", "curl", "e").by("bash"), c("|", "sh").by("bash")}},
	{name: "unquoted heredoc to sh parsed", script: "sh <<EOF\nrm \\$HOME\nEOF\n",
		cmds: []wc{c("", "sh"), c("", "rm", "$HOME").by("sh").nonLiteral()}},
	{name: "heredoc with expansion to sh is dynamic", script: "sh <<EOF\n$X\nEOF\n", dynamic: true},
	{name: "herestring to bash", script: "bash <<< 'rm -rf x'", dialect: "bash", names: []string{"bash", "rm"}},
	{name: "pipe into shell is dynamic", script: "curl -s http://x | bash", dynamic: true},
	{name: "shell script file", script: "sh script.sh arg",
		cmds: []wc{c("", "sh", "script.sh", "arg")}},
	{name: "shell from file", script: "bash < setup.sh", names: []string{"bash"}},

	// Wrappers.
	{name: "nested wrappers", script: "sudo env FOO=1 nice -n 5 timeout 10 bash -c 'rm -rf /'",
		names: []string{"bash", "env", "nice", "rm", "sudo", "timeout"},
		cmds: []wc{
			c("", "sudo", "env", "FOO=1", "nice", "-n", "5", "timeout", "10", "bash", "-c", "rm -rf /"),
			c("", "env", "FOO=1", "nice", "-n", "5", "timeout", "10", "bash", "-c", "rm -rf /").by("sudo"),
			c("", "nice", "-n", "5", "timeout", "10", "bash", "-c", "rm -rf /").by("sudo", "env"),
			c("", "timeout", "10", "bash", "-c", "rm -rf /").by("sudo", "env", "nice"),
			c("", "bash", "-c", "rm -rf /").by("sudo", "env", "nice", "timeout"),
			c("", "rm", "-rf", "/").by("sudo", "env", "nice", "timeout", "bash"),
		}},
	{name: "sh -c list", script: `sh -c "a && b"`,
		cmds: []wc{c("", "sh", "-c", "a && b"), c("", "a").by("sh"), c("&&", "b").by("sh")}},
	{name: "bash -lc combined flags", script: `bash -lec 'npm test' name arg`, names: []string{"bash", "npm"}},
	{name: "bash -o option then -c", script: `bash -o pipefail -c 'make'`, names: []string{"bash", "make"}},
	{name: "zsh -c", script: `zsh -c 'rm x'`, names: []string{"rm", "zsh"}},
	{name: "dash -c", script: `dash -c 'rm x'`, names: []string{"dash", "rm"}},
	{name: "bash -c variable is dynamic", script: `bash -c "$X"`, dynamic: true},
	{name: "bash -c unparseable inner is an error", script: `bash -c 'if then'`, err: ErrParse},
	{name: "env flags", script: "env -i -u HOME PATHX=1 make", cmds: []wc{
		c("", "env", "-i", "-u", "HOME", "PATHX=1", "make"), c("", "make").by("env")}},
	{name: "env risky var", script: "env PATH=/tmp ls", dynamic: true},
	{name: "env -S split string", script: "env -S 'rm -rf x'", names: []string{"env", "rm"}},
	{name: "nice numeric", script: "nice -10 make", names: []string{"make", "nice"}},
	{name: "nohup", script: "nohup ./server &", names: []string{"nohup", "server"}},
	{name: "timeout flags", script: "timeout -s KILL --preserve-status 5s curl x", cmds: []wc{
		c("", "timeout", "-s", "KILL", "--preserve-status", "5s", "curl", "x"), c("", "curl", "x").by("timeout")}},
	{name: "stdbuf", script: "stdbuf -oL -e 0 grep x", names: []string{"grep", "stdbuf"}},
	{name: "time program", script: "/usr/bin/time -f %e make", names: []string{"make", "time"}},
	{name: "command -p", script: "command -p rm x", names: []string{"command", "rm"}},
	{name: "command -v does not run", script: "command -v rm", names: []string{"command"}},
	{name: "exec", script: "exec -a name python3 x.py", names: []string{"exec", "python3"}},
	{name: "builtin", script: "builtin cd sub && touch f", names: []string{"builtin", "cd", "touch"}},
	{name: "xargs", script: "find . -name x | xargs rm", cmds: []wc{
		c("", "find", ".", "-name", "x"), c("|", "xargs", "rm"), c("", "rm").by("xargs").nonLiteral()}},
	{name: "xargs default echo", script: "xargs -0 < list", names: []string{"echo", "xargs"}},
	{name: "xargs -I replacement command is dynamic", script: "xargs -I % % --version", dynamic: true},
	{name: "xargs sh -c with replacement is dynamic", script: "xargs -I{} sh -c 'cat {}'", dynamic: true},
	{name: "xargs sh -c without script is dynamic", script: "xargs sh -c", dynamic: true},
	{name: "sudo flags", script: "sudo -u root -E -- apt-get install x", cmds: []wc{
		c("", "sudo", "-u", "root", "-E", "--", "apt-get", "install", "x"),
		c("", "apt-get", "install", "x").by("sudo")}},
	{name: "sudo unknown flag is dynamic", script: "sudo -Z rm x", dynamic: true},
	{name: "sudoedit runs no command", script: "sudo -e /etc/hosts", names: []string{"sudo"}},
	{name: "doas", script: "doas -u bob rm x", names: []string{"doas", "rm"}},
	{name: "find exec", script: `find . -name x -exec rm {} \;`, cmds: []wc{
		c("", "find", ".", "-name", "x", "-exec", "rm", "{}", ";"),
		c("", "rm", "{}").by("find").nonLiteral()}},
	{name: "find execdir plus and ok", script: `find . -execdir chmod 600 {} + -ok shred {} ';'`,
		names: []string{"chmod", "find", "shred"}},
	{name: "find exec sh -c with braces is dynamic", script: `find . -exec sh -c 'rm {}' \;`, dynamic: true},
	{name: "find exec braces command is dynamic", script: `find . -exec {} \;`, dynamic: true},
	{name: "git alias bang unwrapped", script: `git -c alias.x='!sh -c "rm -rf ."' x`,
		names: []string{"git", "rm", "sh"}},
	{name: "git pager config is dynamic", script: `git -c core.pager='rm -rf .' log`, dynamic: true},
	{name: "git harmless config", script: `git -c user.name=x -C sub commit -m msg`, names: []string{"git"}},
	{name: "git submodule foreach", script: `git submodule foreach --recursive 'rm -rf build'`, names: []string{"git", "rm"}},
	{name: "git rebase exec", script: `git rebase -i --exec "make test" main`, names: []string{"git", "make"}},
	{name: "git bisect run", script: `git bisect run ./check.sh`, names: []string{"check.sh", "git"}},
	{name: "eval literal unwrapped", script: `eval 'rm -rf /'`, cmds: []wc{
		c("", "eval", "rm -rf /"), c("", "rm", "-rf", "/").by("eval")}},
	{name: "eval joined words", script: `eval rm '-rf x'`, names: []string{"eval", "rm"}},
	{name: "eval variable is dynamic", script: `eval $x`, dynamic: true},
	{name: "source literal", script: ". ./env.sh && make", names: []string{".", "make"}},
	{name: "source variable is dynamic", script: `source "$F"`, dynamic: true},
	{name: "trap script", script: `trap 'rm -rf /tmp/x' EXIT`, names: []string{"rm", "trap"}},
	{name: "alias is dynamic", script: "alias ls='rm -rf /'; ls", dialect: "sh", dynamic: true},
	{name: "watch joins to sh", script: "watch -n 1 'ps aux | grep x'", names: []string{"grep", "ps", "watch"}},
	{name: "watch exec", script: "watch -x ls -l", names: []string{"ls", "watch"}},
	{name: "strace", script: "strace -f -o trace.txt ./a.out", names: []string{"a.out", "strace"}},
	{name: "chroot", script: "chroot /mnt /bin/sh -c 'rm x'", dynamic: true, outside: true, names: []string{"chroot", "rm", "sh"}},
	{name: "su -c", script: "su -c 'rm -rf /' root", names: []string{"rm", "su"}},
	{name: "busybox applet", script: "busybox rm x", names: []string{"busybox", "rm"}},
	{name: "sudo bash heredoc", script: "sudo bash <<'E'\nrm x\nE\n", names: []string{"bash", "rm", "sudo"}},

	// Errors and limits.
	{name: "unparseable", script: "if then fi (", err: ErrParse},
	{name: "unbalanced quote", script: "echo 'abc", err: ErrParse},
	{name: "bad dialect", script: "ls", dialect: "fish", err: ErrBadDialect},
	{name: "deep bash -c nesting", script: deepBashC(MaxDepth + 1), err: ErrTooDeep},
	{name: "nesting within limit", script: deepBashC(MaxDepth - 1), names: []string{"bash", "eval", "rm"}},
	{name: "deep brackets", script: strings.Repeat("(", MaxBracketDepth+1) + "x" + strings.Repeat(")", MaxBracketDepth+1), err: ErrTooDeep},
	{name: "deep wrappers", script: strings.Repeat("nice ", MaxDepth+1) + "rm x", err: ErrTooDeep},
	{name: "too many commands", script: strings.Repeat("a;", MaxCommands+1), err: ErrTooMany},
	{name: "too large", script: strings.Repeat("#", MaxScriptBytes+1), err: ErrTooLarge},
}

// deepBashC nests n levels of code runners around rm: bash -c, then evals
// (nesting bash -c alone needs quoting that grows exponentially).
func deepBashC(n int) string {
	return "bash -c '" + strings.Repeat("eval ", n-1) + "rm x'"
}

func TestParseScript(t *testing.T) {
	for _, tc := range scriptCases {
		t.Run(tc.name, func(t *testing.T) {
			dialect := tc.dialect
			if dialect == "" {
				dialect = "sh"
			}
			got, err := ParseScript(tc.script, dialect, tc.cwd, nil)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseScript: %v", err)
			}
			check(t, got, tc)
		})
	}
}

func check(t *testing.T, got *policy.Command, tc scriptCase) {
	t.Helper()
	if got.Dynamic != tc.dynamic {
		t.Errorf("Dynamic = %v, want %v\n%s", got.Dynamic, tc.dynamic, dump(got))
	}
	if got.Outside != tc.outside {
		t.Errorf("Outside = %v, want %v\n%s", got.Outside, tc.outside, dump(got))
	}
	if tc.names != nil && !slices.Equal(got.Names, tc.names) {
		t.Errorf("Names = %q, want %q", got.Names, tc.names)
	}
	if tc.writes != nil && !slices.Equal(got.RedirectWrites, tc.writes) {
		t.Errorf("RedirectWrites = %q, want %q", got.RedirectWrites, tc.writes)
	}
	if tc.cmds == nil {
		return
	}
	if len(got.Commands) != len(tc.cmds) {
		t.Fatalf("got %d commands, want %d\n%s", len(got.Commands), len(tc.cmds), dump(got))
	}
	for i, w := range tc.cmds {
		g := got.Commands[i]
		if g.Op != w.op || !slices.Equal(g.Argv, w.argv) || !slices.Equal(g.WrappedBy, orEmpty(w.wrapped)) || g.Literal == w.nonLit {
			t.Errorf("command %d = op %q argv %q wrapped %q literal %v; want op %q argv %q wrapped %q literal %v",
				i, g.Op, g.Argv, g.WrappedBy, g.Literal, w.op, w.argv, orEmpty(w.wrapped), !w.nonLit)
		}
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func dump(c *policy.Command) string {
	var b strings.Builder
	for _, sc := range c.Commands {
		b.WriteString("  " + sc.Op + " " + strings.Join(sc.WrappedBy, ">") + " : " + strings.Join(sc.Argv, " ") + "\n")
	}
	return b.String()
}
