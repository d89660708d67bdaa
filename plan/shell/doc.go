// Package shell plans shell commands for policy: it turns a script (sh or
// bash) or an argv into the list of every simple command that could run,
// however it is wrapped (pipelines, lists, compound commands, functions,
// substitutions, sudo/env/timeout/xargs/find -exec/sh -c/eval and friends),
// with each command's argv, the redirections it makes and the flattened
// facts a policy matches on (policy.Command).
//
// The package owns the interpretation of shell syntax for policy purposes.
// It parses with mvdan.cc/sh/v3/syntax only; it never hand-parses shell text,
// never executes anything, never expands variables from a real environment
// and never touches the filesystem: path resolution is lexical, through a
// Resolver. Where it cannot know what would run (a command name that is not
// a plain literal, eval of a variable, a shell fed from a pipe, an alias, an
// assignment to PATH and the like) it says so with Dynamic rather than
// guessing, and where it cannot know where a write goes it says Outside: the
// policy fails closed on those flags. Inputs that are too large, too deep or
// that cannot be parsed are errors, never partial plans.
package shell

// Decisions a policy author should know:
//
//   - Order and Op: commands are listed in source order; a command's
//     substitutions follow it. Op joins a command to the previous one in the
//     same list ("", "|", "&&", "||", ";", "&"; a newline is ";", |& is "|").
//     A nested list (substitution, function body, sh -c or eval script) and a
//     wrapped command start with Op "".
//   - Wrappers stay listed, and what they run follows with WrappedBy naming
//     them outermost first. Unwrapped: sh bash dash zsh ksh mksh ash (-c, or
//     a literal heredoc/here-string on stdin), env (incl. -S), sudo, doas,
//     nice, nohup, setsid, ionice, timeout, stdbuf, time, command (not -v/-V),
//     builtin, exec, strace, ltrace, chroot (also Dynamic and Outside),
//     busybox, xargs, find -exec/-execdir/-ok/-okdir, git (-c alias.x=!...,
//     submodule foreach, rebase --exec, bisect run), watch (sh -c unless -x),
//     su -c, eval, trap. A wrapper option not in its table makes the plan
//     Dynamic, since the planner cannot tell where the command starts.
//   - Literal is false when argv is not what the program receives: any
//     expansion, unquoted glob, brace expansion, leading tilde, and commands
//     fed extra arguments by xargs or find -exec ({} is replaced).
//   - Dynamic: a non-literal command name (including globs and braces), eval
//     or trap of a non-literal, sh -c of a non-literal script or one holding
//     the xargs/find replacement, source of a non-literal path, a shell
//     reading a script from a pipe, alias definitions, git config keys that
//     run commands, cd - / popd, and assignments to variables that change
//     what runs (PATH, LD_PRELOAD, BASH_ENV, GIT_SSH_COMMAND, ...).
//   - sh script.sh, bash < file and source file run a file whose content is
//     unknown: listed as is, not Dynamic by themselves.
//   - Redirections: writes (>, >>, >|, <>, &>, &>>, >&file) are resolved
//     against the cwd as changed by earlier literal cd commands (followed
//     lexically, also through if branches; not out of subshells, pipelines
//     or substitutions). Targets outside, and targets the shell would expand,
//     are listed as written and set Outside. /dev/null, /dev/stdout and
//     /dev/stderr are harmless and never listed. Heredoc bodies are not
//     commands, but their substitutions run and are listed.
//   - Writes made through arguments (tee f, cp a b, time -o f) are the
//     policy's business: only redirections are RedirectWrites.
