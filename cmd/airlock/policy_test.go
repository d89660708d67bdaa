package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/auth"
	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/examples"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

const patToken = "pat-policy-admin-token"

// runBin runs the built binary and returns its combined output and exit
// code (-1 when it did not run).
func runBin(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatalf("run %v: %v", args, err)
	return "", -1
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), raw, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPolicyCLI runs `airlock policy` on the built binary: offline test,
// check and eval, then input/eval through a served example with a
// policy-admin, and replay of its recorded actions against a candidate.
func TestPolicyCLI(t *testing.T) {
	bin := buildBinary(t)
	examplePolicies := filepath.Join("..", "..", "examples", "policies")

	t.Run("test", func(t *testing.T) {
		out, code := runBin(t, bin, "policy", "test", examplePolicies, "--coverage")
		if code != 0 || !strings.Contains(out, "PASS:") || !strings.Contains(out, "coverage:") || !strings.Contains(out, "total") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "p.rego"), "package p\n\nx := 1\n")
		writeFile(t, filepath.Join(dir, "p_test.rego"), "package p\n\ntest_x_is_two if x == 2\n")
		out, code = runBin(t, bin, "policy", "test", dir)
		if code != 1 || !strings.Contains(out, "test_x_is_two") || !strings.Contains(out, "FAIL") {
			t.Fatalf("failing test: exit %d:\n%s", code, out)
		}
	})

	t.Run("check", func(t *testing.T) {
		out, code := runBin(t, bin, "policy", "check", examplePolicies)
		if code != 0 || !strings.Contains(out, "formatted: ok") || !strings.Contains(out, "compiled: revision") {
			t.Fatalf("examples: exit %d:\n%s", code, out)
		}
		dir := t.TempDir()
		copyTree(t, examplePolicies, dir)
		writeFile(t, filepath.Join(dir, "ugly.rego"), "package ugly\nx:=1\n")
		out, code = runBin(t, bin, "policy", "check", dir)
		if code != 1 || !strings.Contains(out, "not opa fmt clean: "+filepath.Join(dir, "ugly.rego")) {
			t.Fatalf("unformatted: exit %d:\n%s", code, out)
		}
		writeFile(t, filepath.Join(dir, "ugly.rego"), "package ugly\n\nx := {\n")
		if out, code = runBin(t, bin, "policy", "check", dir); code != 1 || !strings.Contains(out, "ugly.rego") {
			t.Fatalf("broken: exit %d:\n%s", code, out)
		}
	})

	t.Run("eval offline", func(t *testing.T) {
		in := filepath.Join(t.TempDir(), "input.json")
		writeFile(t, in, `{"action": {"kind": "read_file", "path": ".env"},
			"plan": {"path": ".env", "base": ".env", "dir": ".", "all_paths": [".env"], "bases": [".env"]},
			"principal": {"id": "a", "kind": "agent"}, "workspace": {"name": "w", "environment": "dev"}}`)
		out, code := runBin(t, bin, "policy", "eval", "--dir", examplePolicies, "--input", in, "--explain")
		if code != 0 || !strings.Contains(out, "decision: deny") || !strings.Contains(out, "secrets.") || !strings.Contains(out, "explanation:") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		out, code = runBin(t, bin, "policy", "eval", "--dir", examplePolicies, "--input", in, "--json")
		var d struct {
			Effect   string `json:"effect"`
			Revision string `json:"revision"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d.Effect != "deny" || d.Revision == "" {
			t.Fatalf("json: exit %d:\n%s", code, out)
		}
		writeFile(t, in, `{"acton": {}}`)
		if out, code = runBin(t, bin, "policy", "eval", "--dir", examplePolicies, "--input", in); code == 0 || !strings.Contains(out, "acton") {
			t.Fatalf("misspelt field accepted: exit %d:\n%s", code, out)
		}
	})

	t.Run("through the server and replay", func(t *testing.T) {
		dir, addr, stop := servePolicyAdmin(t, bin)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := client.Dial(addr, client.Options{Token: "demo-agent-token"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		submit := func(a *airlockv1.Action) *airlockv1.ActionRecord {
			resp, err := c.Agent.Submit(ctx, &airlockv1.SubmitRequest{Request: &airlockv1.ActionRequest{Workspace: "demo", Action: a, Intent: "cli test"}})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetAction()
		}
		read := submit(&airlockv1.Action{Kind: &airlockv1.Action_ReadFile{ReadFile: &airlockv1.ReadFile{Path: "README.md"}}})
		write := submit(&airlockv1.Action{Kind: &airlockv1.Action_WriteFile{WriteFile: &airlockv1.WriteFile{Path: "src/new.py", Content: []byte("x = 1\n")}}})
		secret := submit(&airlockv1.Action{Kind: &airlockv1.Action_ReadFile{ReadFile: &airlockv1.ReadFile{Path: ".env"}}})
		if write.GetDecision().GetEffect() != airlockv1.Effect_EFFECT_ALLOW || secret.GetDecision().GetEffect() != airlockv1.Effect_EFFECT_DENY {
			t.Fatalf("unexpected decisions: %v / %v", write.GetDecision(), secret.GetDecision())
		}

		out, code := runBin(t, bin, "policy", "input", "--addr", addr, "--token", patToken, "--action", read.GetActionId())
		var in struct {
			Action    struct{ Kind, Path string }
			Workspace struct{ Environment string }
			Request   struct{ Intent string }
		}
		if code != 0 || json.Unmarshal([]byte(out), &in) != nil || in.Action.Path != "README.md" ||
			in.Workspace.Environment != "dev" || in.Request.Intent != "cli test" {
			t.Fatalf("input: exit %d:\n%s", code, out)
		}
		// The printed input decides the same offline.
		inFile := filepath.Join(t.TempDir(), "input.json")
		writeFile(t, inFile, out)
		if out, code := runBin(t, bin, "policy", "eval", "--dir", filepath.Join(dir, "policies"), "--input", inFile); code != 0 || !strings.Contains(out, "decision: allow") {
			t.Fatalf("eval of the printed input: exit %d:\n%s", code, out)
		}
		out, code = runBin(t, bin, "policy", "eval", "--addr", addr, "--token", patToken, "--action", secret.GetActionId(), "--explain")
		if code != 0 || !strings.Contains(out, "decision: deny") || !strings.Contains(out, "explanation:") {
			t.Fatalf("eval --action: exit %d:\n%s", code, out)
		}
		if out, code = runBin(t, bin, "policy", "input", "--addr", addr, "--token", "demo-alice-token", "--action", read.GetActionId()); code == 0 || !strings.Contains(out, "PermissionDenied") {
			t.Fatalf("a developer read a recorded input: exit %d:\n%s", code, out)
		}
		stop()

		cand := t.TempDir()
		copyTree(t, filepath.Join(dir, "policies"), cand)
		writeFile(t, filepath.Join(cand, "candidate.rego"), `package airlock

escalate contains {"rule_id": "candidate.new_files", "message": "new files need review", "effect": "escalate"} if {
	input.plan.path == "src/new.py"
}
`)
		db := filepath.Join(dir, "state", "airlock.db")
		out, code = runBin(t, bin, "policy", "replay", "--candidate", cand, "--db", db, "--since", "1h")
		if code != 0 || !strings.Contains(out, "replayed 3 actions") || !strings.Contains(out, "1 would change") ||
			!strings.Contains(out, write.GetActionId()) || !strings.Contains(out, "candidate.new_files") {
			t.Fatalf("replay: exit %d:\n%s", code, out)
		}
		out, code = runBin(t, bin, "policy", "replay", "--candidate", cand, "--db", db, "--json")
		var rep replayReport
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Replayed != 3 || rep.Changed != 1 ||
			rep.Differences[0].ActionID != write.GetActionId() || rep.Differences[0].Candidate.Effect != "escalate" ||
			rep.Differences[0].Recorded.Effect != "allow" {
			t.Fatalf("replay --json: exit %d:\n%s", code, out)
		}
		// The unchanged policy replays with no difference.
		if out, code = runBin(t, bin, "policy", "replay", "--candidate", filepath.Join(dir, "policies"), "--db", db); code != 0 || !strings.Contains(out, ": 0 would change") {
			t.Fatalf("replay of the live policy: exit %d:\n%s", code, out)
		}
		if out, code = runBin(t, bin, "policy", "replay", "--candidate", cand, "--db", filepath.Join(dir, "missing.db")); code == 0 {
			t.Fatalf("missing db accepted:\n%s", out)
		}
	})
}

// servePolicyAdmin serves the example config with pat, a policy-admin, and
// returns its directory, address and a stop that waits for a clean exit.
func servePolicyAdmin(t *testing.T, bin string) (string, string, func()) {
	t.Helper()
	dir := t.TempDir()
	cfgPath, err := examples.Unpack(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := giveWorkspaceAway(dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "address: 127.0.0.1:7443", "address: 127.0.0.1:0", 1)
	cfg = strings.Replace(cfg, "\nprincipals:\n", "\nprincipals:\n  - id: pat\n    kind: human\n    token_sha256: "+auth.HashToken(patToken)+"\n    roles: [policy-admin]\n", 1)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := false
	t.Cleanup(func() {
		if !exited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	sc := bufio.NewScanner(stderr)
	addr := ""
	var seen []string
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		t.Fatalf("server never said where it serves:\n%s", strings.Join(seen, "\n"))
	}
	drained := make(chan struct{})
	go func() {
		for sc.Scan() {
		}
		close(drained)
	}()
	stop := func() {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		<-drained
		if err := cmd.Wait(); err != nil {
			t.Fatalf("serve exit: %v", err)
		}
		exited = true
	}
	return dir, addr, stop
}
