package airlock_test

import data.airlock

test_agent_config_write_denied if {
	every p in [".claude/settings.json", ".claude/settings.local.json", ".cursor/rules/x.mdc", ".codex/config.toml", "pkg/.gemini/settings.json"] {
		d := airlock.decision with input as write(p, "dev")
		d.effect == "deny"
		"selfmod.agent_config" in ids(d)
	}
}

test_agent_config_read_allowed if {
	d := airlock.decision with input as read(".claude/settings.json", "prod")
	d.effect == "allow"
}

test_policy_write_denied if {
	every p in ["airlock-policies/main.rego", "ops/airlock-policies/data.json", "src/policy/x.rego"] {
		d := airlock.decision with input as write(p, "dev")
		d.effect == "deny"
		"selfmod.policy" in ids(d)
	}
}

test_policy_move_into_policies_denied if {
	d := airlock.decision with input as move("src/new.txt", "airlock-policies/new.txt", "dev")
	"selfmod.policy" in ids(d)
}

test_instructions_escalate if {
	d := airlock.decision with input as write("AGENTS.md", "dev")
	d.effect == "escalate"
	ids(d) == {"selfmod.instructions"}
	d.approval == {"roles": ["senior"], "approvals": 1, "ttl_seconds": 3600}
}

test_instructions_read_allowed if {
	d := airlock.decision with input as read("CLAUDE.md", "prod")
	d.effect == "allow"
}
