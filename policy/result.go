package policy

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

var (
	keyEffect    = ast.InternedTerm("effect")
	keyReasons   = ast.InternedTerm("reasons")
	keyRuleID    = ast.InternedTerm("rule_id")
	keyMessage   = ast.InternedTerm("message")
	keyApproval  = ast.InternedTerm("approval")
	keyRoles     = ast.InternedTerm("roles")
	keyApprovals = ast.InternedTerm("approvals")
	keyTTL       = ast.InternedTerm("ttl_seconds")
	keySandbox   = ast.InternedTerm("sandbox")
	keyNetwork   = ast.InternedTerm("network")
	keyTimeoutMS = ast.InternedTerm("timeout_ms")
	keyOutput    = ast.InternedTerm("output_limit_bytes")
)

// rank orders effects by strength; an unknown effect ranks 0 and is refused.
func rank(e Effect) int {
	switch e {
	case Allow:
		return 1
	case Escalate:
		return 2
	case Deny:
		return 3
	}
	return 0
}

// decision reads the policy's result per the contract in doc.go and applies
// the strict combination. Any deviation is an error, which Decide turns into a
// deny: a policy that cannot say clearly what it wants gets nothing.
func (c *Conf) decision(v ast.Value) (Decision, error) {
	o, ok := v.(ast.Object)
	if !ok {
		return Decision{}, fmt.Errorf("decision is %s, want object", ast.ValueName(v))
	}
	eff, err := effectAt(o, keyEffect)
	if err != nil {
		return Decision{}, err
	}
	reasons, err := reasonsAt(o)
	if err != nil {
		return Decision{}, err
	}
	for _, r := range reasons {
		if rank(r.Effect) > rank(eff) {
			eff = r.Effect
		}
	}
	if eff != Allow && !slices.ContainsFunc(reasons, func(r Reason) bool { return r.Effect == eff }) {
		return Decision{}, fmt.Errorf("%s decision without a %s reason", eff, eff)
	}
	slices.SortStableFunc(reasons, func(a, b Reason) int {
		if ra, rb := rank(a.Effect), rank(b.Effect); ra != rb {
			return rb - ra
		}
		return strings.Compare(a.RuleID, b.RuleID)
	})
	approval, err := c.approvalAt(o)
	if err != nil {
		return Decision{}, err
	}
	sandbox, err := sandboxAt(o)
	if err != nil {
		return Decision{}, err
	}
	d := Decision{Effect: eff, Reasons: reasons}
	switch eff {
	case Escalate:
		d.Approval = approval
	case Allow:
		d.Sandbox = sandbox
	}
	return d, nil
}

func effectAt(o ast.Object, key *ast.Term) (Effect, error) {
	t := o.Get(key)
	if t == nil {
		return "", fmt.Errorf("%s missing", key.Value)
	}
	s, ok := t.Value.(ast.String)
	if !ok {
		return "", fmt.Errorf("%s is %s, want string", key.Value, ast.ValueName(t.Value))
	}
	if e := Effect(s); rank(e) > 0 {
		return e, nil
	}
	return "", fmt.Errorf("unknown effect %q", truncate(string(s)))
}

func reasonsAt(o ast.Object) ([]Reason, error) {
	t := o.Get(keyReasons)
	if t == nil || isNull(t.Value) {
		return nil, nil
	}
	var elems []*ast.Term
	switch x := t.Value.(type) {
	case *ast.Array:
		elems = make([]*ast.Term, 0, x.Len())
		x.Foreach(func(t *ast.Term) { elems = append(elems, t) })
	case ast.Set:
		elems = x.Slice()
	default:
		return nil, fmt.Errorf("reasons is %s, want array", ast.ValueName(t.Value))
	}
	out := make([]Reason, 0, len(elems))
	for i, t := range elems {
		ro, ok := t.Value.(ast.Object)
		if !ok {
			return nil, fmt.Errorf("reasons[%d] is %s, want object", i, ast.ValueName(t.Value))
		}
		id, err := stringAt(ro, keyRuleID)
		if err != nil || id == "" {
			return nil, fmt.Errorf("reasons[%d].rule_id: want non-empty string", i)
		}
		msg, err := stringAt(ro, keyMessage)
		if err != nil {
			return nil, fmt.Errorf("reasons[%d].message: %w", i, err)
		}
		eff, err := effectAt(ro, keyEffect)
		if err != nil {
			return nil, fmt.Errorf("reasons[%d]: %w", i, err)
		}
		out = append(out, Reason{RuleID: id, Message: msg, Effect: eff})
	}
	return out, nil
}

// approvalAt fills what the policy leaves out from the configured default and
// refuses values outside the sane ranges (see MinApprovals, MinTTLSeconds).
func (c *Conf) approvalAt(o ast.Object) (*Approval, error) {
	a := &Approval{
		Roles:      slices.Clone(c.DefaultApproval.Roles),
		Approvals:  c.DefaultApproval.Approvals,
		TTLSeconds: int(c.DefaultApproval.TTL.Seconds()),
	}
	t := o.Get(keyApproval)
	if t == nil || isNull(t.Value) {
		return a, nil
	}
	ao, ok := t.Value.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("approval is %s, want object", ast.ValueName(t.Value))
	}
	if rt := ao.Get(keyRoles); rt != nil {
		arr, ok := rt.Value.(*ast.Array)
		if !ok || arr.Len() == 0 {
			return nil, errors.New("approval.roles: want a non-empty array of strings")
		}
		roles := make([]string, 0, arr.Len())
		for i := range arr.Len() {
			s, ok := arr.Elem(i).Value.(ast.String)
			if !ok || strings.TrimSpace(string(s)) == "" {
				return nil, errors.New("approval.roles: want non-empty strings")
			}
			roles = append(roles, string(s))
		}
		a.Roles = roles
	}
	if n, ok, err := intAt(ao, keyApprovals, MinApprovals, MaxApprovals); err != nil {
		return nil, fmt.Errorf("approval.%w", err)
	} else if ok {
		a.Approvals = int(n)
	}
	if n, ok, err := intAt(ao, keyTTL, MinTTLSeconds, MaxTTLSeconds); err != nil {
		return nil, fmt.Errorf("approval.%w", err)
	} else if ok {
		a.TTLSeconds = int(n)
	}
	return a, nil
}

func sandboxAt(o ast.Object) (*SandboxGrant, error) {
	t := o.Get(keySandbox)
	if t == nil || isNull(t.Value) {
		return nil, nil
	}
	so, ok := t.Value.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("sandbox is %s, want object", ast.ValueName(t.Value))
	}
	g := &SandboxGrant{}
	if nt := so.Get(keyNetwork); nt != nil {
		b, ok := nt.Value.(ast.Boolean)
		if !ok {
			return nil, errors.New("sandbox.network: want boolean")
		}
		g.Network = bool(b)
	}
	if n, ok, err := intAt(so, keyTimeoutMS, 0, math.MaxUint32); err != nil {
		return nil, fmt.Errorf("sandbox.%w", err)
	} else if ok {
		g.TimeoutMS = uint32(n)
	}
	if n, ok, err := intAt(so, keyOutput, 0, math.MaxInt64); err != nil {
		return nil, fmt.Errorf("sandbox.%w", err)
	} else if ok {
		g.OutputLimitBytes = uint64(n)
	}
	return g, nil
}

// intAt reads an optional integer within [lo, hi]; ok is false when absent.
func intAt(o ast.Object, key *ast.Term, lo, hi int64) (int64, bool, error) {
	t := o.Get(key)
	if t == nil {
		return 0, false, nil
	}
	num, isNum := t.Value.(ast.Number)
	if !isNum {
		return 0, false, fmt.Errorf("%s: want integer, got %s", key.Value, ast.ValueName(t.Value))
	}
	n, isInt := num.Int64()
	if !isInt || n < lo || n > hi {
		return 0, false, fmt.Errorf("%s: %s not an integer in [%d, %d]", key.Value, truncate(string(num)), lo, hi)
	}
	return n, true, nil
}

func stringAt(o ast.Object, key *ast.Term) (string, error) {
	t := o.Get(key)
	if t == nil {
		return "", fmt.Errorf("%s missing", key.Value)
	}
	s, ok := t.Value.(ast.String)
	if !ok {
		return "", fmt.Errorf("%s is %s, want string", key.Value, ast.ValueName(t.Value))
	}
	return string(s), nil
}

func isNull(v ast.Value) bool {
	_, ok := v.(ast.Null)
	return ok
}

// truncate keeps policy-produced text in error messages short.
func truncate(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
