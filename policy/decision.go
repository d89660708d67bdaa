package policy

import "time"

// Effect is a decision's outcome.
type Effect string

// Effects, in increasing strength: deny beats escalate beats allow.
const (
	Allow    Effect = "allow"
	Escalate Effect = "escalate"
	Deny     Effect = "deny"
)

// Reason explains one rule that matched.
type Reason struct {
	RuleID  string `json:"rule_id"`
	Message string `json:"message"`
	Effect  Effect `json:"effect"`
}

// Approval is what an escalation needs.
type Approval struct {
	Roles      []string `json:"roles"`
	Approvals  int      `json:"approvals"`
	TTLSeconds int      `json:"ttl_seconds"`
}

// SandboxGrant is the command sandbox settings an allow grants.
type SandboxGrant struct {
	Network          bool   `json:"network"`
	TimeoutMS        uint32 `json:"timeout_ms"`
	OutputLimitBytes uint64 `json:"output_limit_bytes"`
}

// Decision is the combined verdict for one input.
type Decision struct {
	Effect   Effect
	Reasons  []Reason
	Approval *Approval
	Sandbox  *SandboxGrant
	// Revision identifies the policy sources that decided.
	Revision string
	// Duration is the evaluation time.
	Duration time.Duration
	// Err is set when the decision is a fail-closed deny caused by an
	// evaluation error, timeout or malformed result (already logged).
	Err error
}
