package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/airlock-dev/airlock/config"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/sandbox"
	"github.com/airlock-dev/airlock/server"
)

// TestFailClosed: a policy that errors, returns nothing or returns garbage
// denies; one that does not compile stops the server from starting.
func TestFailClosed(t *testing.T) {
	cases := []struct {
		name   string
		rego   string
		ruleID string
	}{
		{"undefined decision", "package airlock\n\ndecision := {\"effect\": \"allow\", \"reasons\": []} if input.action.kind == \"exec\"\n", "airlock.undefined"},
		{"runtime error (conflicting values)", `package airlock

decision := {"effect": "allow", "reasons": []} if input.action.kind == "read_file"

decision := {"effect": "deny", "reasons": [{"rule_id": "x", "message": "y"}]} if input.version == 1
`, "airlock.eval_error"},
		{"unknown effect", `package airlock

decision := {"effect": "maybe", "reasons": []}
`, "airlock.malformed"},
		{"wrong type", `package airlock

decision := "allow"
`, "airlock.malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startEnv(t, envOpts{policy: map[string]string{"policy.rego": tc.rego}})
			rec, err := e.submit("dev", readA("README.md"))
			if err != nil {
				t.Fatal(err)
			}
			d := rec.GetDecision()
			if d.GetEffect() != airlockv1.Effect_EFFECT_DENY || rec.GetResult() != nil {
				t.Fatalf("effect = %v, result %v", d.GetEffect(), rec.GetResult())
			}
			if len(d.GetReasons()) == 0 || !strings.HasPrefix(d.GetReasons()[0].GetRuleId(), tc.ruleID) {
				t.Errorf("reasons = %v, want rule %s", d.GetReasons(), tc.ruleID)
			}
		})
	}
}

func TestBrokenPolicyRefusesToStart(t *testing.T) {
	for _, tc := range []struct{ name, rego string }{
		{"syntax error", "package airlock\n\ndecision := {\n"},
		{"strict mode: unused variable", "package airlock\n\ndecision := {\"effect\": \"allow\", \"reasons\": []} if {\n\tx := 1\n}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startEnv(t, envOpts{})
			e.stop()
			if err := os.WriteFile(filepath.Join(e.policyDir, "broken.rego"), []byte(tc.rego), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(e.cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			app, err := server.Build(context.Background(), cfg, zap.NewNop())
			if err == nil {
				app.Close()
				t.Fatal("server built with a broken policy")
			}
			if !strings.Contains(err.Error(), "broken.rego") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

// TestRequiredSandboxLayerMissing: a layer the config requires but the host
// lacks stops the server from starting, naming the layer.
func TestRequiredSandboxLayerMissing(t *testing.T) {
	var missing string
	for _, l := range []string{"cgroup", "seccomp", "landlock", "userns", "netns"} {
		if len(sandbox.Probe().Missing([]string{l})) > 0 {
			missing = l
			break
		}
	}
	if missing == "" {
		t.Skip("this host provides every layer; nothing to refuse")
	}
	e := startEnv(t, envOpts{})
	e.stop()
	cfg, err := config.Load(e.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sandbox.Required = []string{missing}
	app, err := server.Build(context.Background(), cfg, zap.NewNop())
	if err == nil {
		app.Close()
		t.Fatalf("started although %s is required and missing", missing)
	}
	if !strings.Contains(err.Error(), missing) {
		t.Errorf("error does not name %s: %v", missing, err)
	}
}
