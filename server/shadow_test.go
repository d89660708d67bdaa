package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// TestShadowPolicy: a candidate that denies everything decides beside the
// enforced policy; the action still runs, and the difference is audited.
func TestShadowPolicy(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "deny.rego"), []byte(`package airlock

decision := {"effect": "deny", "reasons": [{"rule_id": "candidate.freeze", "message": "frozen"}]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startEnv(t, envOpts{})
	e.stop()
	raw, err := os.ReadFile(e.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "policy:\n", "policy:\n  shadow_dir: "+dir+"\n", 1)
	if err := os.WriteFile(e.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e.start()
	rec, err := e.submit("dev", readA("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("the shadow policy was enforced: %v %v", rec.GetStatus(), rec.GetDecision().GetReasons())
	}
	found := false
	for _, entry := range e.logs.FilterMessage("audit").All() {
		m := entry.ContextMap()
		if m["type"] == "policy.shadow_diff" && m["action_id"] == rec.GetActionId() {
			found = true
			if m["effect"] != "allow" || m["shadow_effect"] != "deny" {
				t.Errorf("shadow event = %v", m)
			}
		}
	}
	if !found {
		t.Error("no policy.shadow_diff event")
	}
}

// TestAuditOnlyWorkspace: would-be denials run, say so, and are recorded as
// audit-only with the policy's own effect.
func TestAuditOnlyWorkspace(t *testing.T) {
	e := startEnv(t, envOpts{})
	e.stop()
	raw, err := os.ReadFile(e.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "    environment: dev\n", "    environment: dev\n    enforcement: audit-only\n", 1)
	if err := os.WriteFile(e.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e.start()
	rec, err := e.submit("dev", readA(".env"))
	if err != nil {
		t.Fatal(err)
	}
	d := rec.GetDecision()
	if d.GetEffect() != airlockv1.Effect_EFFECT_ALLOW || rec.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("audit-only did not allow: %v %v", d.GetEffect(), rec.GetStatus())
	}
	if d.GetReasons()[0].GetRuleId() != "airlock.audit_only" || len(d.GetReasons()) < 2 {
		t.Errorf("reasons = %v", d.GetReasons())
	}
	found := false
	for _, entry := range e.logs.FilterMessage("audit").All() {
		m := entry.ContextMap()
		if m["type"] == "action.decided" && m["action_id"] == rec.GetActionId() {
			found = m["enforcement"] == "audit-only" && m["would_effect"] == "deny"
		}
	}
	if !found {
		t.Error("decided event does not say audit-only / would_effect deny")
	}
	// The other workspace still enforces.
	rec, err = e.submit("prod", readA(".env"))
	if err != nil || rec.GetDecision().GetEffect() != airlockv1.Effect_EFFECT_DENY {
		t.Errorf("prod: %v %v", rec.GetDecision().GetEffect(), err)
	}
}
