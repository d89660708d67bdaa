# An agent must not rewrite its own configuration or the policy that judges it.
package airlock

import data.airlock.lib

agent_config_dirs := lib.dir_pattern(`\.claude|\.cursor|\.codex|\.gemini|\.windsurf|\.continue`)

policy_dirs := lib.dir_pattern("airlock-policies")

agent_instruction_files := {"AGENTS.md", "CLAUDE.md", "GEMINI.md", ".cursorrules", ".windsurfrules"}

deny contains {
	"rule_id": "selfmod.agent_config",
	"message": "agent configuration (.claude/, .cursor/, .codex/, .gemini/ ...) may not be changed by an agent; ask a human to change it",
} if {
	input.action.kind in lib.write_kinds
	some p in input.plan.written_paths
	regex.match(agent_config_dirs, p)
}

deny contains {
	"rule_id": "selfmod.policy",
	"message": "Airlock policies (airlock-policies/, *.rego) may not be changed by an agent; propose the change to the platform team",
} if {
	input.action.kind in lib.write_kinds
	some p in input.plan.written_paths
	regex.match(policy_dirs, p)
}

deny contains {
	"rule_id": "selfmod.policy",
	"message": "Airlock policies (airlock-policies/, *.rego) may not be changed by an agent; propose the change to the platform team",
} if {
	input.action.kind in lib.write_kinds
	some e in input.plan.exts
	lower(e) == ".rego"
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
