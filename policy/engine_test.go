package policy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// policyWith wraps a decision body into a module of package airlock.
func policyWith(rules string) map[string]string {
	return map[string]string{"airlock.rego": "package airlock\n\n" + rules + "\n"}
}

// TestFailClosed holds the engine to its promise: a policy that cannot be
// compiled is refused at New, and anything short of a well-formed decision at
// run time is a deny with an airlock.* reason and Err set.
func TestFailClosed(t *testing.T) {
	cases := []struct {
		note     string
		files    map[string]string
		timeout  time.Duration
		wantNew  string // substring of the New error; "" means New succeeds
		effect   Effect
		ruleIDs  []string
		cause    error
		approval *Approval
	}{
		{
			note:    "syntax error refused at start",
			files:   policyWith(`decision := {"effect": "allow"`),
			wantNew: "rego_parse_error",
		},
		{
			note:    "strict mode: unused import refused",
			files:   policyWith("import data.other\n\ndecision := {\"effect\": \"allow\", \"reasons\": []}"),
			wantNew: "import data.other unused",
		},
		{
			note:    "strict mode: unused local refused",
			files:   policyWith("decision := {\"effect\": \"allow\", \"reasons\": []} if {\n\tx := 1\n\tinput.y\n}"),
			wantNew: "assigned var x unused",
		},
		{
			note:    "rego v0 syntax refused",
			files:   policyWith("decision = d { d := {\"effect\": \"allow\"} }"),
			wantNew: "rego_parse_error",
		},
		{
			note:    "query names no rule",
			files:   map[string]string{"x.rego": "package other\n\nd := 1\n"},
			wantNew: "names no rule",
		},
		{
			note:    "empty directory",
			files:   map[string]string{"README.md": "nothing"},
			wantNew: "no .rego files",
		},
		{
			note: "conflicting complete rule is an eval error",
			files: policyWith(`decision := {"effect": "allow", "reasons": []} if input.version == 1
decision := {"effect": "deny", "reasons": [{"rule_id": "x", "message": "m", "effect": "deny"}]} if input.action.kind == "read_file"`),
			effect: Deny, ruleIDs: []string{RuleEvalError}, cause: ErrEval,
		},
		{
			note:   "builtin error is an eval error, not undefined",
			files:  policyWith(`decision := {"effect": "allow", "reasons": []} if to_number(input.action.kind) > 1`),
			effect: Deny, ruleIDs: []string{RuleEvalError}, cause: ErrEval,
		},
		{
			note:   "undefined decision",
			files:  policyWith(`decision := {"effect": "allow", "reasons": []} if input.action.kind == "never"`),
			effect: Deny, ruleIDs: []string{RuleUndefined}, cause: ErrUndefined,
		},
		{
			note:   "unknown effect",
			files:  policyWith(`decision := {"effect": "maybe", "reasons": []}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "effect of wrong type",
			files:  policyWith(`decision := {"effect": true, "reasons": []}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "decision not an object",
			files:  policyWith(`decision := "allow"`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "deny without reasons",
			files:  policyWith(`decision := {"effect": "deny"}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "escalate without an escalate reason",
			files:  policyWith(`decision := {"effect": "escalate", "reasons": [{"rule_id": "a", "message": "m", "effect": "allow"}]}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "reason without rule_id",
			files:  policyWith(`decision := {"effect": "deny", "reasons": [{"message": "m", "effect": "deny"}]}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "reason with unknown effect",
			files:  policyWith(`decision := {"effect": "allow", "reasons": [{"rule_id": "a", "message": "m", "effect": "permit"}]}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "reasons not a list",
			files:  policyWith(`decision := {"effect": "allow", "reasons": "fine"}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "zero approvals",
			files:  policyWith(`decision := {"effect": "escalate", "reasons": [{"rule_id": "a", "message": "m", "effect": "escalate"}], "approval": {"approvals": 0}}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "too many approvals",
			files:  policyWith(`decision := {"effect": "escalate", "reasons": [{"rule_id": "a", "message": "m", "effect": "escalate"}], "approval": {"approvals": 11}}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "fractional approvals",
			files:  policyWith(`decision := {"effect": "escalate", "reasons": [{"rule_id": "a", "message": "m", "effect": "escalate"}], "approval": {"approvals": 1.5}}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "ttl too short",
			files:  policyWith(`decision := {"effect": "escalate", "reasons": [{"rule_id": "a", "message": "m", "effect": "escalate"}], "approval": {"ttl_seconds": 59}}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "ttl too long",
			files:  policyWith(`decision := {"effect": "escalate", "reasons": [{"rule_id": "a", "message": "m", "effect": "escalate"}], "approval": {"ttl_seconds": 604801}}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "empty approval roles",
			files:  policyWith(`decision := {"effect": "escalate", "reasons": [{"rule_id": "a", "message": "m", "effect": "escalate"}], "approval": {"roles": []}}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "negative sandbox timeout",
			files:  policyWith(`decision := {"effect": "allow", "reasons": [], "sandbox": {"timeout_ms": -1}}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note:   "sandbox network not a boolean",
			files:  policyWith(`decision := {"effect": "allow", "reasons": [], "sandbox": {"network": "yes"}}`),
			effect: Deny, ruleIDs: []string{RuleMalformed}, cause: ErrMalformed,
		},
		{
			note: "timeout",
			files: policyWith(`decision := {"effect": "allow", "reasons": []} if {
	count([1 | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000); i == 0 - j]) >= 0
}`),
			timeout: 10 * time.Millisecond,
			effect:  Deny, ruleIDs: []string{RuleTimeout}, cause: ErrTimeout,
		},
		{
			note:   "allow overruled by its own deny reason",
			files:  policyWith(`decision := {"effect": "allow", "reasons": [{"rule_id": "b", "message": "m", "effect": "allow"}, {"rule_id": "a", "message": "m", "effect": "deny"}]}`),
			effect: Deny, ruleIDs: []string{"a", "b"},
		},
		{
			note:   "allow with an escalate reason escalates with default approval",
			files:  policyWith(`decision := {"effect": "allow", "reasons": [{"rule_id": "a", "message": "m", "effect": "escalate"}], "sandbox": {"network": true}}`),
			effect: Escalate, ruleIDs: []string{"a"},
			approval: &Approval{Roles: []string{"approver"}, Approvals: 1, TTLSeconds: 3600},
		},
		{
			note:   "policy approval fills over defaults",
			files:  policyWith(`decision := {"effect": "escalate", "reasons": [{"rule_id": "a", "message": "m", "effect": "escalate"}], "approval": {"approvals": 3}}`),
			effect: Escalate, ruleIDs: []string{"a"},
			approval: &Approval{Roles: []string{"approver"}, Approvals: 3, TTLSeconds: 3600},
		},
		{
			note: "reasons sorted deny, escalate, allow then by rule_id",
			files: policyWith(`decision := {"effect": "deny", "reasons": [
	{"rule_id": "z", "message": "m", "effect": "allow"},
	{"rule_id": "y", "message": "m", "effect": "escalate"},
	{"rule_id": "c", "message": "m", "effect": "deny"},
	{"rule_id": "b", "message": "m", "effect": "allow"},
	{"rule_id": "a", "message": "m", "effect": "deny"},
]}`),
			effect: Deny, ruleIDs: []string{"a", "c", "y", "b", "z"},
		},
		{
			note:   "reasons given as a set",
			files:  policyWith(`decision := {"effect": "deny", "reasons": {{"rule_id": "s", "message": "m", "effect": "deny"}}}`),
			effect: Deny, ruleIDs: []string{"s"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.note, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files)
			core, logs := observer.New(zapcore.DebugLevel)
			e, err := New(context.Background(), Conf{Dir: dir, Timeout: tc.timeout}, WithLogger(zap.New(core)))
			if tc.wantNew != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantNew) {
					t.Fatalf("New error = %v, want one containing %q", err, tc.wantNew)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			d := e.Decide(context.Background(), fileInput("read_file", "prod", "src/a.go"))
			if d.Effect != tc.effect {
				t.Fatalf("effect = %s, want %s (reasons %+v, err %v)", d.Effect, tc.effect, d.Reasons, d.Err)
			}
			if got := ruleIDs(d); !slices.Equal(got, tc.ruleIDs) {
				t.Fatalf("rule ids = %v, want %v", got, tc.ruleIDs)
			}
			if d.Revision != e.Revision() || d.Revision == "" {
				t.Fatalf("revision = %q, want %q", d.Revision, e.Revision())
			}
			if tc.cause == nil {
				if d.Err != nil {
					t.Fatalf("unexpected Err %v", d.Err)
				}
			} else {
				if !errors.Is(d.Err, tc.cause) {
					t.Fatalf("Err = %v, want %v", d.Err, tc.cause)
				}
				failed := logs.FilterMessage("policy failed closed").All()
				if len(failed) != 1 || failed[0].ContextMap()["rule_id"] != tc.ruleIDs[0] {
					t.Fatalf("want one failed-closed log with rule_id %s, got %+v", tc.ruleIDs[0], failed)
				}
			}
			if tc.approval != nil {
				if d.Approval == nil || !slices.Equal(d.Approval.Roles, tc.approval.Roles) ||
					d.Approval.Approvals != tc.approval.Approvals || d.Approval.TTLSeconds != tc.approval.TTLSeconds {
					t.Fatalf("approval = %+v, want %+v", d.Approval, tc.approval)
				}
			} else if d.Approval != nil {
				t.Fatalf("approval on a %s decision: %+v", d.Effect, d.Approval)
			}
			if d.Effect != Allow && d.Sandbox != nil {
				t.Fatalf("sandbox grant on a %s decision", d.Effect)
			}
		})
	}
}

func TestDecideNilInputAndCanceledContext(t *testing.T) {
	e, err := New(context.Background(), Conf{Dir: copyExamples(t)})
	if err != nil {
		t.Fatal(err)
	}
	d := e.Decide(context.Background(), nil)
	if d.Effect != Deny || !errors.Is(d.Err, ErrNilInput) || d.Reasons[0].RuleID != RuleNilInput {
		t.Fatalf("nil input: %+v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d = e.Decide(ctx, fileInput("read_file", "dev", "src/a.go"))
	if d.Effect != Deny || !strings.HasPrefix(d.Reasons[0].RuleID, "airlock.") || d.Err == nil {
		t.Fatalf("canceled context: %+v", d)
	}
}

// TestExampleDecisionDetails checks what the conformance matrix does not:
// the approval, sandbox and reason messages the example policy hands back.
func TestExampleDecisionDetails(t *testing.T) {
	e, err := New(context.Background(), Conf{Dir: copyExamples(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	d := e.Decide(ctx, execInput("prod", []string{"go", "test", "./..."}))
	if d.Effect != Allow || d.Sandbox == nil || d.Sandbox.Network || d.Sandbox.TimeoutMS != 120000 || d.Sandbox.OutputLimitBytes != 1<<20 {
		t.Fatalf("go test in prod: %+v sandbox %+v", d, d.Sandbox)
	}

	d = e.Decide(ctx, fileInput("write_file", "prod", "src/go.mod"))
	if d.Effect != Escalate || d.Approval == nil || d.Approval.Approvals != 2 || !slices.Equal(d.Approval.Roles, []string{"senior"}) || d.Approval.TTLSeconds != 3600 {
		t.Fatalf("go.mod in prod: %+v approval %+v", d, d.Approval)
	}

	d = e.Decide(ctx, fileInput("read_file", "prod", ".env"))
	if d.Effect != Deny || d.Reasons[0].RuleID != "secrets.touch" || !strings.Contains(d.Reasons[0].Message, "ask a human") {
		t.Fatalf(".env read: %+v", d)
	}
	if d.Duration <= 0 {
		t.Fatalf("duration not recorded: %v", d.Duration)
	}
}
