# Helpers shared by Airlock policies, so that each rule in package airlock
# reads as one line of intent: facts about input, sets of names, and
# decision, the combinator of package airlock's deny/escalate/allow sets.
#
# Rules should test the planner's flat facts (input.plan.top_dirs, bases,
# exts, written_paths, command.names) with == and `in` rather than splitting
# paths: OPA's rule index then skips rules that cannot match, which keeps a
# policy of a thousand rules about as fast as one of thirty.
package airlock.lib

# --- environment -----------------------------------------------------------

env := lower(input.workspace.environment)

# dev is where agents may experiment (unknown commands run, dynamic commands
# escalate instead of being denied).
dev if env in {"dev", "development", "local"}

# nonprod environments allow writes anywhere (outside the protected paths).
nonprod if env in {"dev", "development", "local", "staging", "test"}

# prod is everything else: an unknown or empty environment is treated as
# production, so a mislabelled workspace fails closed.
prod if not nonprod

# --- action kinds ----------------------------------------------------------

read_kinds := {"read_file", "list_dir"}

# write_kinds change the workspace; for them every touched path (both ends of
# a move) is written, so top_dirs, bases and exts describe written paths.
write_kinds := {"write_file", "edit_file", "delete_file", "move_file", "make_dir", "apply_patch"}

# --- paths -----------------------------------------------------------------

# top_of is the first segment of a workspace-relative path ("go.mod" for a
# file at the root, which is then under no writable top directory).
top_of(p) := split(p, "/")[0]

# base_of is the last segment of a path.
base_of(p) := parts[count(parts) - 1] if parts := split(p, "/")

# --- secrets ---------------------------------------------------------------

# secret_pattern matches, case-insensitively, every path that holds secrets:
# the files .env and .env.*, .npmrc, .netrc, .pgpass, .pypirc,
# .git-credentials, credentials, credentials.json, SSH private keys (id_rsa,
# id_dsa, id_ecdsa, id_ed25519) and *.pem, *.key, *.p12, *.pfx in any
# directory, and anything under .aws/, .ssh/ or .gnupg/ at any depth. It is
# one constant pattern because one cached regex per path is the cheapest test
# OPA offers; extend it here and add a case to secrets_test.rego.
secret_pattern := `(?i)(^|/)(\.env|\.env\.[^/]*|\.npmrc|\.netrc|\.pgpass|\.pypirc|\.git-credentials|credentials|credentials\.json|id_rsa|id_dsa|id_ecdsa|id_ed25519|[^/]*\.(pem|key|p12|pfx))$|(^|/)(\.aws|\.ssh|\.gnupg)(/|$)`

# secret_path holds for any path or command argument naming a secret.
secret_path(p) if regex.match(secret_pattern, p)

# touches_secret holds when any path the action touches is a secret.
touches_secret if {
	some p in input.plan.all_paths
	regex.match(secret_pattern, p)
}

# --- commands --------------------------------------------------------------

is_exec if input.action.kind == "exec"

commands := input.plan.command.commands

# has_commands guards rules that need at least one parsed command; it is
# written without count() so that a null list is undefined, not an error.
has_commands if commands[0]

runs_any(names) if {
	some n in input.plan.command.names
	n in names
}

# outside_arg looks like a path that leaves the workspace.
outside_arg(a) if startswith(a, "/")

outside_arg(a) if startswith(a, "~")

outside_arg(a) if a == ".."

outside_arg(a) if startswith(a, "../")

outside_arg(a) if contains(a, "/../")

# --- decision combinator ---------------------------------------------------

# decision combines the partial sets of package airlock (deny, escalate,
# allow, each of {"rule_id", "message"}) with its approval and sandbox, per the
# contract in README.md: deny beats escalate beats allow, and nothing allowed
# is a deny with an explicit reason, never undefined. Escalate reasons ride
# along on a deny so that the agent sees every obstacle at once. It reads the
# sets as rules rather than taking them as function arguments, and builds
# reasons inline rather than through a helper: on the hot path both are
# measurably cheaper.
decision := {
	"effect": "deny",
	"reasons": array.concat(
		[{"rule_id": r.rule_id, "message": r.message, "effect": "deny"} | some r in data.airlock.deny],
		[{"rule_id": r.rule_id, "message": r.message, "effect": "escalate"} | some r in data.airlock.escalate],
	),
} if {
	count(data.airlock.deny) > 0
} else := {
	"effect": "escalate",
	"reasons": [{"rule_id": r.rule_id, "message": r.message, "effect": "escalate"} | some r in data.airlock.escalate],
	"approval": data.airlock.approval,
} if {
	count(data.airlock.escalate) > 0
} else := {
	"effect": "allow",
	"reasons": [{"rule_id": r.rule_id, "message": r.message, "effect": "allow"} | some r in data.airlock.allow],
	"sandbox": data.airlock.sandbox,
} if {
	count(data.airlock.allow) > 0
} else := {
	"effect": "deny",
	"reasons": [no_allow],
}

no_allow := {
	"rule_id": "default.no_allow",
	"message": "no rule allows this action, so it is denied; use read_file, list_dir, the file write actions or a known build/test command",
	"effect": "deny",
}
