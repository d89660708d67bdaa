package pipeline

import (
	"context"
	"fmt"
	"slices"

	"go.uber.org/zap"

	"github.com/airlock-dev/airlock/audit"
	"github.com/airlock-dev/airlock/policy"
)

// shadow evaluates the candidate policy, if any, on the same input and
// records a difference from the enforced decision. It never changes what
// happens to the action.
func (p *Pipeline) shadow(ctx context.Context, in *policy.Input, d policy.Decision, ev audit.Event) {
	if p.d.Shadow == nil {
		return
	}
	s := p.d.Shadow.Decide(ctx, in)
	if s.Effect == d.Effect && slices.Equal(ruleIDs(s.Reasons), ruleIDs(d.Reasons)) {
		return
	}
	p.d.Metrics.ShadowDifference(string(d.Effect), string(s.Effect))
	ev.Type = audit.TypePolicyShadowDiff
	ev.Effect, ev.Reasons, ev.PolicyRevision = string(d.Effect), auditReasons(d.Reasons), d.Revision
	ev.ShadowEffect, ev.ShadowRevision, ev.ShadowRules = string(s.Effect), s.Revision, ruleIDs(s.Reasons)
	ev.Paths, ev.Digest = in.Plan.AllPaths, in.Plan.Digest
	if err := p.d.Audit.Record(ctx, ev); err != nil {
		p.d.Log.Error("auditing a shadow difference failed", zap.String("action_id", ev.ActionID), zap.Error(err))
	}
}

func ruleIDs(rs []policy.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.RuleID
	}
	return out
}

// auditOnly turns a denial or escalation into an allow that says what the
// policy would have done.
func auditOnly(d policy.Decision) policy.Decision {
	note := policy.Reason{
		RuleID: "airlock.audit_only", Effect: policy.Allow,
		Message: fmt.Sprintf("this workspace is in audit-only mode: the policy would %s this action; it was allowed and recorded", verb(d.Effect)),
	}
	d.Reasons = append([]policy.Reason{note}, d.Reasons...)
	d.Effect, d.Approval = policy.Allow, nil
	return d
}

func verb(e policy.Effect) string {
	if e == policy.Escalate {
		return "escalate"
	}
	return "deny"
}
