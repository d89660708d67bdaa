package airlock_test

import data.airlock

test_known_commands_allowed_with_sandbox if {
	every argvs in [
		[["go", "test", "./..."]],
		[["make", "build"]],
		[["npm", "test"]],
		[["pytest", "-q"]],
		[["cargo", "test"]],
		[["git", "status"]],
		[["git", "diff", "HEAD"]],
		[["grep", "-rn", "TODO", "src"], ["wc", "-l"]],
	] {
		d := airlock.decision with input as exec_input(argvs, "prod")
		d.effect == "allow"
		ids(d) == {"exec.known"}
		d.sandbox == {"network": false, "timeout_ms": 120000, "output_limit_bytes": 1048576}
	}
}

test_network_tools_denied if {
	every n in ["curl", "wget", "nc", "ssh", "scp"] {
		d := airlock.decision with input as exec_input([["echo", "x"], [n, "example.com"]], "dev")
		d.effect == "deny"
		"exec.network" in ids(d)
	}
}

test_dynamic_denied_outside_dev if {
	every env in ["staging", "prod"] {
		d := airlock.decision with input as exec_with([["$CMD", "x"]], env, {"dynamic": true})
		d.effect == "deny"
		"exec.dynamic" in ids(d)
	}
}

test_dynamic_escalates_in_dev if {
	d := airlock.decision with input as exec_with([["$CMD", "x"]], "dev", {"dynamic": true})
	d.effect == "escalate"
	ids(d) == {"exec.dynamic"}
}

test_destructive_outside_denied if {
	d := airlock.decision with input as exec_with([["rm", "-rf", "build"]], "dev", {"outside": true})
	d.effect == "deny"
	"exec.outside" in ids(d)
}

test_destructive_outside_argument_denied if {
	every argv in [["rm", "-rf", "/etc"], ["cp", "x", "../other/x"], ["chmod", "777", "~/.bashrc"], ["mv", "a", "src/../../b"]] {
		d := airlock.decision with input as exec_input([argv], "dev")
		d.effect == "deny"
		"exec.outside" in ids(d)
	}
}

test_destructive_inside_allowed_in_dev if {
	d := airlock.decision with input as exec_input([["rm", "-rf", "build"]], "dev")
	d.effect == "allow"
	ids(d) == {"exec.dev"}
}

test_release_commands_escalate if {
	every argv in [
		["git", "push", "origin", "main"],
		["npm", "publish"],
		["cargo", "publish"],
		["twine", "upload", "dist/*"],
		["kubectl", "apply", "-f", "k8s.yaml"],
		["helm", "upgrade", "api", "chart"],
		["terraform", "apply"],
	] {
		d := airlock.decision with input as exec_input([argv], "dev")
		d.effect == "escalate"
		"exec.release" in ids(d)
	}
}

test_unknown_command_escalates_outside_dev if {
	every env in ["staging", "prod"] {
		d := airlock.decision with input as exec_input([["python3", "tool.py"]], env)
		d.effect == "escalate"
		ids(d) == {"exec.unknown"}
		d.approval.roles == ["senior"]
	}
}

test_unknown_command_allowed_in_dev if {
	d := airlock.decision with input as exec_input([["python3", "tool.py"]], "dev")
	d.effect == "allow"
	ids(d) == {"exec.dev"}
	d.sandbox.network == false
}

test_unparsed_command_denied if {
	inp := json.remove(exec_input([["go", "test"]], "dev"), ["/plan/command"])
	d := airlock.decision with input as inp
	d.effect == "deny"
	"exec.unparsed" in ids(d)
}

test_git_unknown_subcommand_escalates_in_prod if {
	d := airlock.decision with input as exec_input([["git", "reset", "--hard"]], "prod")
	d.effect == "escalate"
	ids(d) == {"exec.unknown"}
}

test_redirect_outside_denied if {
	every target in ["/etc/passwd", "../elsewhere.txt", "~/.bashrc"] {
		d := airlock.decision with input as exec_with([["echo", "x"]], "dev", {"redirect_writes": [target]})
		d.effect == "deny"
		"exec.redirect_outside" in ids(d)
	}
}

test_redirect_inside_allowed if {
	d := airlock.decision with input as exec_with([["echo", "x"]], "dev", {"redirect_writes": ["out/log.txt"]})
	d.effect == "allow"
}

test_loader_env_denied if {
	every k in ["LD_PRELOAD", "path", "BASH_ENV"] {
		inp := exec_input([["go", "test"]], "dev")
		d := airlock.decision with input as object.union(inp, {"action": object.union(inp.action, {"env": {k: "x"}})})
		d.effect == "deny"
		"exec.env" in ids(d)
	}
}

test_plain_env_allowed if {
	inp := exec_input([["go", "test"]], "dev")
	d := airlock.decision with input as object.union(inp, {"action": object.union(inp.action, {"env": {"GOFLAGS": "-count=1"}})})
	d.effect == "allow"
}
