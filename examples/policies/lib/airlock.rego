# Helpers shared by Airlock policies, so that each rule in package airlock
# reads as one line of intent. Everything here is a fact about input or a set
# of names; nothing here decides on its own.
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

# dir_pattern matches a path with a directory named one of names (a regex
# alternation) at any depth. Rules match whole patterns held as constants:
# OPA caches compiled patterns, and one regex per path is cheaper than a
# split or a startswith and a contains per name.
dir_pattern(names) := concat("", [`(^|/)(`, names, `)/`])

# --- secrets ---------------------------------------------------------------

secret_bases := {
	".env", ".npmrc", ".netrc", ".pgpass", ".pypirc", ".git-credentials",
	"credentials", "credentials.json",
	"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
}

secret_exts := {".pem", ".key", ".p12", ".pfx"}

secret_dirs := dir_pattern(`\.aws|\.ssh|\.gnupg`)

secret_base(b) if lower(b) in secret_bases

secret_base(b) if startswith(lower(b), ".env.")

# secret_path holds for any path or command argument naming a secret.
secret_path(p) if secret_base(base_of(p))

secret_path(p) if {
	some e in secret_exts
	endswith(lower(p), e)
}

secret_path(p) if regex.match(secret_dirs, p)

# touches_secret holds when any path the action touches is a secret.
touches_secret if {
	some b in input.plan.bases
	secret_base(b)
}

touches_secret if {
	some e in input.plan.exts
	lower(e) in secret_exts
}

touches_secret if {
	some p in input.plan.all_paths
	regex.match(secret_dirs, p)
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
# sets as rules rather than taking them as function arguments: on the hot
# path that is measurably cheaper.
decision := {
	"effect": "deny",
	"reasons": array.concat(
		[reason(r, "deny") | some r in data.airlock.deny],
		[reason(r, "escalate") | some r in data.airlock.escalate],
	),
} if {
	count(data.airlock.deny) > 0
} else := {
	"effect": "escalate",
	"reasons": [reason(r, "escalate") | some r in data.airlock.escalate],
	"approval": data.airlock.approval,
} if {
	count(data.airlock.escalate) > 0
} else := {
	"effect": "allow",
	"reasons": [reason(r, "allow") | some r in data.airlock.allow],
	"sandbox": data.airlock.sandbox,
} if {
	count(data.airlock.allow) > 0
} else := {
	"effect": "deny",
	"reasons": [no_allow],
}

reason(r, effect) := {"rule_id": r.rule_id, "message": r.message, "effect": effect}

no_allow := {
	"rule_id": "default.no_allow",
	"message": "no rule allows this action, so it is denied; use read_file, list_dir, the file write actions or a known build/test command",
	"effect": "deny",
}
