package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

const (
	patToken = "pat-policy-admin-token"
	// patYAML adds pat, a human platform engineer allowed to operate the
	// policy.
	patYAML = `  - id: pat
    kind: human
    token_sha256: %s
    roles: [policy-admin]
`
)

func startPolicyEnv(t *testing.T) (*env, airlockv1.PolicyServiceClient) {
	t.Helper()
	e := startEnv(t, envOpts{principals: strings.Replace(patYAML, "%s", hashToken(patToken), 1)})
	conn := e.conn(patToken)
	t.Cleanup(func() { conn.Close() })
	return e, airlockv1.NewPolicyServiceClient(conn)
}

func TestPolicyServiceRoles(t *testing.T) {
	e, _ := startPolicyEnv(t)
	cases := []struct {
		name   string
		token  string
		code   codes.Code
		reason string
	}{
		{name: "agent", token: agentToken, code: codes.PermissionDenied, reason: "ERROR_REASON_PERMISSION_DENIED"},
		{name: "developer", token: aliceToken, code: codes.PermissionDenied, reason: "ERROR_REASON_PERMISSION_DENIED"},
		{name: "no token", token: "", code: codes.Unauthenticated, reason: "ERROR_REASON_UNAUTHENTICATED"},
		{name: "policy-admin", token: patToken, code: codes.OK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn := e.conn(tc.token)
			defer conn.Close()
			c := airlockv1.NewPolicyServiceClient(conn)
			_, err := c.Reload(context.Background(), &airlockv1.ReloadRequest{})
			if tc.code == codes.OK {
				if err != nil {
					t.Fatalf("Reload: %v", err)
				}
				return
			}
			if code, reason, _ := errInfo(t, err); code != tc.code || reason != tc.reason {
				t.Fatalf("Reload as %s: %v %s, want %v %s", tc.name, code, reason, tc.code, tc.reason)
			}
		})
	}
}

func TestPolicyServiceStatusAndReload(t *testing.T) {
	e, c := startPolicyEnv(t)
	ctx := context.Background()
	st, err := c.GetStatus(ctx, &airlockv1.GetStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	rev := e.app.Engine.Revision()
	if st.GetLive().GetRevision() != rev || st.GetLive().GetSource() != "dir:"+e.policyDir ||
		st.GetLive().GetLoadedAt() == nil || st.GetLastError() != "" || len(st.GetLive().GetWarnings()) != 0 {
		t.Fatalf("status: %v", st)
	}

	// A broken change is refused and the live revision stays.
	broken := filepath.Join(e.policyDir, "broken.rego")
	if err := os.WriteFile(broken, []byte("package airlock\n\nx := {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Reload(ctx, &airlockv1.ReloadRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetError() == "" || resp.GetLive().GetRevision() != rev {
		t.Fatalf("broken reload: %v", resp)
	}
	if st, _ := c.GetStatus(ctx, &airlockv1.GetStatusRequest{}); !strings.Contains(st.GetLastError(), "broken.rego") {
		t.Fatalf("last error not reported: %v", st)
	}
	if rec, err := e.submit("dev", readFile("README.md")); err != nil || rec.GetDecision().GetPolicyRevision() != rev {
		t.Fatalf("old revision not serving after a refused reload: %v %v", rec, err)
	}

	// The fix goes live.
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.policyDir, "extra.rego"), []byte("package extra\n\nx := 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	resp, err = c.Reload(ctx, &airlockv1.ReloadRequest{})
	if err != nil || resp.GetError() != "" || resp.GetLive().GetRevision() == rev {
		t.Fatalf("fixed reload: %v %v", resp, err)
	}
}

func TestPolicyServiceEvaluate(t *testing.T) {
	e, c := startPolicyEnv(t)
	ctx := context.Background()
	envInput := func(t *testing.T, extra map[string]any) *structpb.Struct {
		t.Helper()
		m := map[string]any{
			"action":    map[string]any{"kind": "write_file", "path": ".env"},
			"plan":      map[string]any{"path": ".env", "base": ".env", "dir": ".", "mutating": true, "all_paths": []any{".env"}, "bases": []any{".env"}, "written_paths": []any{".env"}},
			"principal": map[string]any{"id": "agent-1", "kind": "agent"},
			"workspace": map[string]any{"name": "prod", "environment": "prod"},
		}
		for k, v := range extra {
			m[k] = v
		}
		s, err := structpb.NewStruct(m)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("input document", func(t *testing.T) {
		resp, err := c.EvaluatePolicy(ctx, &airlockv1.EvaluatePolicyRequest{Subject: &airlockv1.EvaluatePolicyRequest_Input{Input: envInput(t, nil)}})
		if err != nil {
			t.Fatal(err)
		}
		d := resp.GetDecision()
		secrets := false
		for _, r := range d.GetReasons() {
			secrets = secrets || strings.HasPrefix(r.GetRuleId(), "secrets.")
		}
		if d.GetEffect() != airlockv1.Effect_EFFECT_DENY || !secrets ||
			d.GetPolicyRevision() != e.app.Engine.Revision() || len(resp.GetExplanation()) != 0 {
			t.Fatalf("decision: %v", resp)
		}
		if v := resp.GetInput().GetFields()["version"].GetNumberValue(); v != 1 {
			t.Fatalf("input version %v, want the default 1", v)
		}
	})

	t.Run("explained", func(t *testing.T) {
		resp, err := c.EvaluatePolicy(ctx, &airlockv1.EvaluatePolicyRequest{Subject: &airlockv1.EvaluatePolicyRequest_Input{Input: envInput(t, nil)}, Explain: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetExplanation()) < 10 || !strings.Contains(strings.Join(resp.GetExplanation(), "\n"), "secrets.rego") {
			t.Fatalf("explanation: %q", resp.GetExplanation())
		}
	})

	t.Run("unknown field refused", func(t *testing.T) {
		_, err := c.EvaluatePolicy(ctx, &airlockv1.EvaluatePolicyRequest{Subject: &airlockv1.EvaluatePolicyRequest_Input{Input: envInput(t, map[string]any{"acton": 1})}})
		if code, reason, _ := errInfo(t, err); code != codes.InvalidArgument || reason != "ERROR_REASON_INVALID_REQUEST" {
			t.Fatalf("misspelt field: %v %s", code, reason)
		}
	})

	t.Run("recorded action", func(t *testing.T) {
		rec, err := e.submit("dev", readFile("README.md"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.EvaluatePolicy(ctx, &airlockv1.EvaluatePolicyRequest{Subject: &airlockv1.EvaluatePolicyRequest_ActionId{ActionId: rec.GetActionId()}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetDecision().GetEffect() != rec.GetDecision().GetEffect() {
			t.Fatalf("replayed %v, recorded %v", resp.GetDecision(), rec.GetDecision())
		}
		action := resp.GetInput().GetFields()["action"].GetStructValue().GetFields()
		ws := resp.GetInput().GetFields()["workspace"].GetStructValue().GetFields()
		if action["path"].GetStringValue() != "README.md" || ws["environment"].GetStringValue() != "dev" {
			t.Fatalf("recorded input: %v", resp.GetInput())
		}
	})

	t.Run("unknown action", func(t *testing.T) {
		_, err := c.EvaluatePolicy(ctx, &airlockv1.EvaluatePolicyRequest{Subject: &airlockv1.EvaluatePolicyRequest_ActionId{ActionId: "act_nope"}})
		if code, reason, _ := errInfo(t, err); code != codes.NotFound || reason != "ERROR_REASON_ACTION_NOT_FOUND" {
			t.Fatalf("unknown action: %v %s", code, reason)
		}
	})
}

func readFile(p string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_ReadFile{ReadFile: &airlockv1.ReadFile{Path: p}}}
}
