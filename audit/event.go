package audit

import (
	"time"
	"unicode/utf8"
)

// Type names what happened. Types are "<subject>.<verb>" in lower case;
// the set is open so that approval events ("approval.requested",
// "approval.granted", ...) can be added without changing the recorder.
type Type string

// Event types for actions.
const (
	// TypeActionReceived: a request passed input validation and was planned.
	TypeActionReceived Type = "action.received"
	// TypeActionRejectedInput: a request refused before policy (malformed,
	// path escape, too large); ErrorReason says why.
	TypeActionRejectedInput Type = "action.rejected_input"
	// TypeActionDecided: policy decided; Effect, Reasons, PolicyRevision.
	TypeActionDecided Type = "action.decided"
	// TypeActionExecuted: execution finished; Result summarises it.
	TypeActionExecuted Type = "action.executed"
	// TypeActionFailed: execution or a later step failed; ErrorReason and
	// ErrorMessage say why.
	TypeActionFailed Type = "action.failed"
	// TypeActionInterrupted: the action was running when the server
	// stopped, found at start-up.
	TypeActionInterrupted Type = "action.interrupted"
)

// TypePolicyShadowDiff: the shadow policy decided differently from the
// enforced one (Effect, PolicyRevision vs Shadow*).
const TypePolicyShadowDiff Type = "policy.shadow_diff"

// Event types for escalations. The request itself is the action.decided
// event with effect "escalate".
const (
	// TypeApprovalVoted: a human voted; Voter, Vote, Comment.
	TypeApprovalVoted Type = "approval.voted"
	// TypeApprovalApproved: enough approvals; execution follows.
	TypeApprovalApproved Type = "approval.approved"
	// TypeApprovalRejected: a rejection ended the action.
	TypeApprovalRejected Type = "approval.rejected"
	// TypeApprovalExpired: nobody approved in time.
	TypeApprovalExpired Type = "approval.expired"
	// TypeApprovalStale: approved, but the workspace changed since it was
	// judged; nothing was executed.
	TypeApprovalStale Type = "approval.stale"
)

// MaxIntentBytes caps Event.Intent (the agent's stated purpose, free text
// from the caller): enough to read, too small to smuggle content through.
const MaxIntentBytes = 1024

// MaxErrorMessageBytes caps Event.ErrorMessage for the same reason.
const MaxErrorMessageBytes = 1024

// Event is one audit event. The JSON names below are stable: they are the
// store body, the zap log field names and the names docs/AUDIT.md lists.
// Empty fields are omitted.
//
//	field            type      meaning
//	seq              int       position in the chain, from 1, set by Record
//	time             string    RFC 3339 with nanoseconds, UTC, set by Record
//	type             string    what happened (see Type)
//	action_id        string    the action this event belongs to
//	principal        string    authenticated caller
//	principal_kind   string    "agent", "human", "service"
//	on_behalf_of     string    the person an agent acts for
//	workspace        string    workspace name
//	environment      string    environment (e.g. "dev", "prod")
//	session_id       string    the agent's session
//	kind             string    action kind ("write_file", "run_command", ...)
//	paths            []string  workspace-relative paths the action touches
//	digest           string    digest of the request (idempotency, approvals)
//	effect           string    "allow", "deny", "escalate"
//	reasons          []object  {rule_id, message, effect} per matching rule
//	policy_revision  string    revision of the policy that decided
//	error_reason     string    machine reason (e.g. "REASON_WORKSPACE_ESCAPE")
//	error_message    string    short human message, at most 1 KiB
//	duration_ms      float     time the step took, milliseconds
//	result           object    small summary, e.g. {"sha256": ..., "size": ...}
//	intent           string    the agent's stated intent, at most 1 KiB
//
// Log lines add "hash" (the record's chain hash) so logs can be matched
// against the store.
type Event struct {
	Seq            int64          `json:"seq"`
	Time           time.Time      `json:"time"`
	Type           Type           `json:"type"`
	ActionID       string         `json:"action_id,omitempty"`
	Principal      string         `json:"principal,omitempty"`
	PrincipalKind  string         `json:"principal_kind,omitempty"`
	OnBehalfOf     string         `json:"on_behalf_of,omitempty"`
	Workspace      string         `json:"workspace,omitempty"`
	Environment    string         `json:"environment,omitempty"`
	SessionID      string         `json:"session_id,omitempty"`
	Kind           string         `json:"kind,omitempty"`
	Paths          []string       `json:"paths,omitempty"`
	Digest         string         `json:"digest,omitempty"`
	Effect         string         `json:"effect,omitempty"`
	Reasons        []Reason       `json:"reasons,omitempty"`
	PolicyRevision string         `json:"policy_revision,omitempty"`
	ErrorReason    string         `json:"error_reason,omitempty"`
	ErrorMessage   string         `json:"error_message,omitempty"`
	DurationMS     float64        `json:"duration_ms,omitempty"`
	Result         map[string]any `json:"result,omitempty"`
	Intent         string         `json:"intent,omitempty"`
	// Voter, Vote and Comment describe an approval vote.
	Voter   string `json:"voter,omitempty"`
	Vote    string `json:"vote,omitempty"`
	Comment string `json:"comment,omitempty"`
	// Enforcement is "audit-only" when the workspace records decisions
	// without enforcing them; WouldEffect is then the policy's own effect.
	Enforcement string `json:"enforcement,omitempty"`
	WouldEffect string `json:"would_effect,omitempty"`
	// ShadowEffect, ShadowRevision and ShadowRules are the shadow policy's
	// decision in a policy.shadow_diff event.
	ShadowEffect   string   `json:"shadow_effect,omitempty"`
	ShadowRevision string   `json:"shadow_revision,omitempty"`
	ShadowRules    []string `json:"shadow_rules,omitempty"`
}

// Reason is one policy rule that matched. It mirrors policy.Reason's JSON
// so that audit does not depend on the policy package.
type Reason struct {
	RuleID  string `json:"rule_id"`
	Message string `json:"message"`
	Effect  string `json:"effect"`
}

// validType reports whether t is "<word>.<word>[.<word>...]" with words of
// lower-case letters and underscores, at most 64 bytes: event types end up
// in queries and dashboards, so they must not carry arbitrary text.
func validType(t Type) bool {
	if len(t) == 0 || len(t) > 64 {
		return false
	}
	dots, prev := 0, byte('.')
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '.':
			if prev == '.' {
				return false
			}
			dots++
		case c >= 'a' && c <= 'z', c == '_':
		default:
			return false
		}
		prev = c
	}
	return dots > 0 && prev != '.'
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
