# Secrets: never read, written, moved or passed to a command. Listing a
# directory that holds secrets is fine; its entries are not.
package airlock

import data.airlock.lib

deny contains {
	"rule_id": "secrets.touch",
	"message": "this path holds secrets (.env, keys, credentials, .aws/, .ssh/); agents may not read or change it; use placeholders or ask a human for the value",
} if {
	input.action.kind != "list_dir"
	lib.touches_secret
}

deny contains {
	"rule_id": "secrets.exec",
	"message": "this command names a secret file; commands may not read or write secrets; use placeholders or ask a human",
} if {
	input.action.kind == "exec"
	some c in lib.commands
	some a in c.argv
	lib.secret_path(a)
}

deny contains {
	"rule_id": "secrets.exec",
	"message": "this command names a secret file; commands may not read or write secrets; use placeholders or ask a human",
} if {
	input.action.kind == "exec"
	some c in lib.commands
	some r in c.redirects
	lib.secret_path(r.target)
}
