# An agent must not rewrite its own configuration or the policy that judges it.
package airlock

import data.airlock.lib

# Patterns over written paths, at any depth (see lib.secret_pattern for why
# these are regular expressions).
agent_config_pattern := `(^|/)(\.claude|\.cursor|\.codex|\.gemini|\.windsurf|\.continue)/`

policy_pattern := `(?i)(^|/)airlock-policies/|\.rego$`

agent_instruction_files := {"AGENTS.md", "CLAUDE.md", "GEMINI.md", ".cursorrules", ".windsurfrules"}

deny contains {
	"rule_id": "selfmod.agent_config",
	"message": "agent configuration (.claude/, .cursor/, .codex/, .gemini/ ...) may not be changed by an agent; ask a human to change it",
} if {
	input.action.kind in lib.write_kinds
	some p in input.plan.written_paths
	regex.match(agent_config_pattern, p)
}

deny contains {
	"rule_id": "selfmod.policy",
	"message": "Airlock policies (airlock-policies/, *.rego) may not be changed by an agent; propose the change to the platform team",
} if {
	input.action.kind in lib.write_kinds
	some p in input.plan.written_paths
	regex.match(policy_pattern, p)
}

# Instruction files steer every later agent session, so a human reviews them.
escalate contains {
	"rule_id": "selfmod.instructions",
	"message": "agent instruction files (AGENTS.md, CLAUDE.md ...) change how every agent behaves; a senior reviewer must approve",
} if {
	input.action.kind in lib.write_kinds
	some b in input.plan.bases
	b in agent_instruction_files
}
