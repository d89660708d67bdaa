# An agent must not rewrite its own configuration or the policy that judges it.
package airlock

import data.airlock.lib

agent_config_dirs := {".claude", ".cursor", ".codex", ".gemini", ".windsurf", ".continue"}

agent_instruction_files := {"AGENTS.md", "CLAUDE.md", "GEMINI.md", ".cursorrules", ".windsurfrules"}

deny contains {
	"rule_id": "selfmod.agent_config",
	"message": "agent configuration (.claude/, .cursor/, .codex/, .gemini/ ...) may not be changed by an agent; ask a human to change it",
} if lib.writes_dir_named(agent_config_dirs)

deny contains {
	"rule_id": "selfmod.policy",
	"message": "Airlock policies (airlock-policies/, *.rego) may not be changed by an agent; propose the change to the platform team",
} if lib.writes_dir_named({"airlock-policies"})

deny contains {
	"rule_id": "selfmod.policy",
	"message": "Airlock policies (airlock-policies/, *.rego) may not be changed by an agent; propose the change to the platform team",
} if lib.writes_ext({".rego"})

# Instruction files steer every later agent session, so a human reviews them.
escalate contains {
	"rule_id": "selfmod.instructions",
	"message": "agent instruction files (AGENTS.md, CLAUDE.md ...) change how every agent behaves; a senior reviewer must approve",
} if lib.writes_base(agent_instruction_files)
