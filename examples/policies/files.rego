# Reading, listing and writing files, and where production allows writes.
package airlock

import data.airlock.lib

prod_writable := {"src", "tests"}

allow contains {
	"rule_id": "files.read",
	"message": "reading and listing are allowed outside secrets",
} if input.action.kind in lib.read_kinds

allow contains {
	"rule_id": "files.write",
	"message": "writes are allowed outside protected paths",
} if input.action.kind in lib.write_kinds

deny contains {
	"rule_id": "prod.write_scope",
	"message": "in production, agents may write only under src/ and tests/; put the change there or ask a human to make it",
} if {
	input.action.kind in lib.write_kinds
	lib.prod
	some d in input.plan.top_dirs
	not d in prod_writable
}

deny contains {
	"rule_id": "prod.write_scope",
	"message": "in production, commands may redirect output only under src/ and tests/; write the output there or drop the redirect",
} if {
	input.action.kind == "exec"
	lib.prod
	some p in input.plan.command.redirect_writes
	p != "/dev/null"
	not lib.top_of(p) in prod_writable
}

# A write the planner could not attribute to paths is not judged blind: every
# path rule above reads these facts.
deny contains {
	"rule_id": "files.write_unplanned",
	"message": "this write has no planned target path, so it cannot be judged; retry with an explicit path inside the workspace",
} if {
	input.action.kind in lib.write_kinds
	not input.plan.written_paths[0]
}

deny contains {
	"rule_id": "files.write_unplanned",
	"message": "this write has no planned target path, so it cannot be judged; retry with an explicit path inside the workspace",
} if {
	input.action.kind in lib.write_kinds
	not input.plan.top_dirs[0]
}
