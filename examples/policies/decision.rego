# The starter Airlock policy. Rules add reasons to three partial sets (deny,
# escalate, allow), each reason {"rule_id", "message"}; lib.decision combines
# them with approval and sandbox below, per the contract in README.md. Each of
# the three sets needs at least one rule, or the reference to it is unsafe. The other files in this package hold one
# subject each.
package airlock

import data.airlock.lib

decision := lib.decision

# Escalations need senior approval: two distinct approvers in production,
# one elsewhere, valid for an hour.
approval := {"roles": ["senior"], "approvals": approvals_needed, "ttl_seconds": 3600}

approvals_needed := 2 if {
	lib.prod
} else := 1

# Commands run without network, for at most two minutes, with 1 MiB of output.
default sandbox := null

sandbox := {"network": false, "timeout_ms": 120000, "output_limit_bytes": 1048576} if {
	lib.is_exec
}
