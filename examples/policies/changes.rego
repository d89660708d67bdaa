# Changes that need a human: deployment, infrastructure, CI, dependencies,
# large diffs; and a hard cap on how much one session may change.
package airlock

import data.airlock.lib

dependency_manifests := {
	"go.mod", "go.sum", "package.json", "package-lock.json", "requirements.txt",
	"pyproject.toml", "Cargo.toml", "Cargo.lock", "Gemfile", "pom.xml",
}

escalate contains {
	"rule_id": "changes.deploy",
	"message": "changes under deploy/ affect production releases; a senior reviewer must approve",
} if {
	input.action.kind in lib.write_kinds
	"deploy" in input.plan.top_dirs
}

escalate contains {
	"rule_id": "changes.infra",
	"message": "changes under infra/ affect shared infrastructure; a senior reviewer must approve",
} if {
	input.action.kind in lib.write_kinds
	"infra" in input.plan.top_dirs
}

escalate contains {
	"rule_id": "changes.ci",
	"message": "CI workflows run with repository credentials; a senior reviewer must approve changes under .github/workflows/",
} if {
	input.action.kind in lib.write_kinds
	".github" in input.plan.top_dirs
	some p in input.plan.written_paths
	startswith(p, ".github/workflows/")
}

escalate contains {
	"rule_id": "changes.dependencies",
	"message": "dependency manifests change what code is built and shipped; a senior reviewer must approve",
} if {
	input.action.kind in lib.write_kinds
	some b in input.plan.bases
	b in dependency_manifests
}

escalate contains {
	"rule_id": "changes.large_diff",
	"message": "this change touches more than 500 lines; split it into smaller changes or wait for a senior reviewer",
} if input.plan.lines_added + input.plan.lines_removed > 500

deny contains {
	"rule_id": "session.too_many_files",
	"message": "this session has changed more than 200 files; stop and ask a human to review before continuing in a new session",
} if input.session.files_changed + input.plan.files_changed > 200
