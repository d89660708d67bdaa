# Helpers shared by Airlock policies, so that each rule in package airlock
# reads as one line of intent. Everything here is a fact about input or a set
# of names; nothing here decides on its own.
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

write_kinds := {"write_file", "edit_file", "delete_file", "move_file", "make_dir", "apply_patch"}

# --- paths -----------------------------------------------------------------

# top_of is the first segment of a workspace-relative path ("go.mod" for a
# file at the root, which is then under no writable top directory).
top_of(p) := split(p, "/")[0]

# base_of is the last segment of a path.
base_of(p) := parts[count(parts) - 1] if parts := split(p, "/")

# writes_top_dir holds when the action writes anything under top dir d.
writes_top_dir(d) if {
	some p in input.plan.written_paths
	top_of(p) == d
}

# writes_under holds when the action writes a path starting with prefix
# (give prefixes ending in "/").
writes_under(prefix) if {
	some p in input.plan.written_paths
	startswith(p, prefix)
}

# writes_dir_named holds when a written path has a directory segment in names,
# at any depth (a nested .claude/ is as much agent configuration as a top one).
writes_dir_named(names) if {
	some p in input.plan.written_paths
	some s in split(p, "/")
	s in names
}

# writes_base holds when a written path's file name is in names.
writes_base(names) if {
	some p in input.plan.written_paths
	base_of(p) in names
}

# writes_ext holds when a written path ends with one of exts (lower case).
writes_ext(exts) if {
	some p in input.plan.written_paths
	some e in exts
	endswith(lower(p), e)
}

# --- secrets ---------------------------------------------------------------

secret_bases := {
	".env", ".npmrc", ".netrc", ".pgpass", ".pypirc", ".git-credentials",
	"credentials", "credentials.json",
	"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
}

secret_exts := {".pem", ".key", ".p12", ".pfx"}

secret_dirs := {".aws", ".ssh", ".gnupg"}

secret_base(b) if lower(b) in secret_bases

secret_base(b) if startswith(lower(b), ".env.")

# secret_path holds for any path or argument naming a secret, at any depth.
secret_path(p) if secret_base(base_of(p))

secret_path(p) if {
	some e in secret_exts
	endswith(lower(p), e)
}

secret_path(p) if {
	some s in split(p, "/")
	s in secret_dirs
}

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
	secret_path(p)
}

# --- commands --------------------------------------------------------------

is_exec if input.action.kind == "exec"

commands := input.plan.command.commands

# has_commands guards rules that need at least one parsed command; it is
# written without count() so that a null list is undefined, not an error.
has_commands if commands[0]

runs(name) if name in input.plan.command.names

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

no_allow := {
	"rule_id": "default.no_allow",
	"message": "no rule allows this action, so it is denied; use read_file, list_dir, the file write actions or a known build/test command",
	"effect": "deny",
}

with_effect(rs, effect) := [object.union(r, {"effect": effect}) | some r in rs]

# decide combines the partial sets strictly: deny beats escalate beats allow,
# and nothing allowed is a deny with an explicit reason, never undefined.
# Escalate reasons ride along on a deny so the agent sees every obstacle.
decide(denies, escalates, allows, approval, sandbox) := {
	"effect": "deny",
	"reasons": array.concat(with_effect(denies, "deny"), with_effect(escalates, "escalate")),
} if {
	count(denies) > 0
} else := {
	"effect": "escalate",
	"reasons": with_effect(escalates, "escalate"),
	"approval": approval,
} if {
	count(escalates) > 0
} else := {
	"effect": "allow",
	"reasons": with_effect(allows, "allow"),
	"sandbox": sandbox,
} if {
	count(allows) > 0
} else := {
	"effect": "deny",
	"reasons": [no_allow],
}
