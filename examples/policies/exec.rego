# Commands. The planner parses the command line (input.plan.command); rules
# judge the parse, never the raw script.
#
# Unknown commands (neither known nor forbidden) run in dev and escalate in
# staging and production: dev is where agents explore, elsewhere a human
# should see anything new first.
package airlock

import data.airlock.lib

network_tools := {"curl", "wget", "nc", "ncat", "netcat", "ssh", "scp", "sftp", "rsync", "telnet", "ftp", "socat"}

destructive_tools := {"rm", "rmdir", "mv", "cp", "chmod", "chown", "chgrp", "ln", "dd", "truncate", "shred", "tee", "install"}

known_tools := {
	"go", "gofmt", "make", "pytest", "cargo", "rustc",
	"ls", "cat", "grep", "rg", "head", "tail", "wc", "find", "echo", "sort", "uniq",
	"diff", "pwd", "true", "false", "test", "tree", "which", "jq",
}

known_git := {"status", "diff", "log", "show", "branch", "rev-parse", "ls-files", "blame", "add", "commit"}

known_npm := {"test", "run", "ls"}

deny contains {
	"rule_id": "exec.unparsed",
	"message": "this command could not be parsed, so it cannot be judged; run a plain command without shell tricks",
} if {
	input.action.kind == "exec"
	not input.plan.command
}

deny contains {
	"rule_id": "exec.dynamic",
	"message": "the command name is computed at run time ($VAR, $(...)), so it cannot be judged; write the command name literally",
} if {
	input.action.kind == "exec"
	input.plan.command.dynamic
	not lib.dev
}

escalate contains {
	"rule_id": "exec.dynamic",
	"message": "the command name is computed at run time ($VAR, $(...)); a reviewer must approve it; write the command name literally to avoid this",
} if {
	input.action.kind == "exec"
	input.plan.command.dynamic
	lib.dev
}

deny contains {
	"rule_id": "exec.network",
	"message": "network tools (curl, wget, nc, ssh, scp ...) are not allowed; commands run without network; vendor what you need or ask a human",
} if {
	input.action.kind == "exec"
	lib.runs_any(network_tools)
}

deny contains {
	"rule_id": "exec.outside",
	"message": "this command changes files outside the workspace (a redirect, cwd or path leaves it); keep every path inside the workspace",
} if {
	input.action.kind == "exec"
	input.plan.command.outside
	lib.runs_any(destructive_tools)
}

deny contains {
	"rule_id": "exec.outside",
	"message": "this command changes files outside the workspace (a redirect, cwd or path leaves it); keep every path inside the workspace",
} if {
	input.action.kind == "exec"
	some c in lib.commands
	c.name in destructive_tools
	some i, a in c.argv
	i > 0
	lib.outside_arg(a)
}

deny contains {
	"rule_id": "exec.redirect_outside",
	"message": "this command redirects output to a file outside the workspace; write inside the workspace instead",
} if {
	input.action.kind == "exec"
	some p in input.plan.command.redirect_writes
	lib.outside_arg(p)
	not p in {"/dev/null", "/dev/stdout", "/dev/stderr"}
}

# loader_env are variables that change which code a program loads or which
# commands a shell runs behind its back.
loader_env := {"LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "BASH_ENV", "ENV", "PATH", "PYTHONPATH", "NODE_OPTIONS", "GIT_SSH_COMMAND", "GIT_EXEC_PATH"}

deny contains {
	"rule_id": "exec.env",
	"message": "this command sets an environment variable that changes what code runs (LD_PRELOAD, PATH, BASH_ENV ...); run the command without it",
} if {
	input.action.kind == "exec"
	some k, _ in input.action.env
	upper(k) in loader_env
}

escalate contains {
	"rule_id": "exec.release",
	"message": "this command publishes, deploys or changes a cluster (git push, publish, kubectl, helm, terraform apply); a senior reviewer must approve",
} if {
	input.action.kind == "exec"
	some c in lib.commands
	release(c)
}

release(c) if c.name in {"kubectl", "helm"}

release(c) if {
	c.name == "git"
	"push" in c.argv
}

release(c) if {
	c.name in {"npm", "pnpm", "yarn", "cargo"}
	"publish" in c.argv
}

release(c) if {
	c.name == "twine"
	"upload" in c.argv
}

release(c) if {
	c.name == "terraform"
	some sub in {"apply", "destroy", "import"}
	sub in c.argv
}

allow contains {
	"rule_id": "exec.known",
	"message": "known build and test commands run in the sandbox without network",
} if {
	input.action.kind == "exec"
	lib.has_commands
	every c in lib.commands {
		known(c)
	}
}

allow contains {
	"rule_id": "exec.dev",
	"message": "in dev, other commands run in the sandbox without network",
} if {
	input.action.kind == "exec"
	lib.dev
	lib.has_commands
}

escalate contains {
	"rule_id": "exec.unknown",
	"message": "this command is not on the known build/test list; outside dev a reviewer must approve it; prefer go, make, npm test, pytest or cargo",
} if {
	input.action.kind == "exec"
	not lib.dev
	some c in lib.commands
	not known(c)
}

known(c) if c.name in known_tools

known(c) if {
	c.name == "git"
	c.argv[1] in known_git
}

known(c) if {
	c.name == "npm"
	c.argv[1] in known_npm
}
