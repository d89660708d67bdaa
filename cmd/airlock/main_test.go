package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/examples"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// testBinary is cmd/airlock built once for the whole package: the tests
// run the real binary, as a user would.
var testBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "airlock-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testBinary = filepath.Join(dir, "airlock")
	if out, err := exec.Command("go", "build", "-o", testBinary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinary returns the binary built for this test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	return testBinary
}

var servingRE = regexp.MustCompile(`serving on (\S+) \(tcp\)`)

// served is a running `airlock serve` process.
type served struct {
	bin, addr string
	cmd       *exec.Cmd
}

// serveExample starts the binary on the example config on a free port.
func serveExample(t *testing.T) *served {
	t.Helper()
	bin := buildBinary(t)
	dir := t.TempDir()
	cfgPath, err := examples.Unpack(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A root server runs commands as the workspace's owner, who must be
	// able to reach it.
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
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := ""
	sc := bufio.NewScanner(stderr)
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
	go func() {
		for sc.Scan() { // keep draining the JSON log
		}
	}()
	return &served{bin: bin, addr: addr, cmd: cmd}
}

// TestServeProcess runs the real binary: serve the example config on a free
// port, answer a Submit and a health check, then drain on SIGTERM and exit 0.
func TestServeProcess(t *testing.T) {
	s := serveExample(t)
	addr, cmd := s.addr, s.cmd
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hc, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "airlock.v1.AgentService"})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", hc, err)
	}
	c, err := client.Dial(addr, client.Options{Token: "demo-agent-token"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Agent.Submit(ctx, &airlockv1.SubmitRequest{Request: &airlockv1.ActionRequest{
		Workspace: "demo", Action: &airlockv1.Action{Kind: &airlockv1.Action_ReadFile{ReadFile: &airlockv1.ReadFile{Path: ".env"}}},
	}})
	if err != nil || resp.GetAction().GetDecision().GetEffect() != airlockv1.Effect_EFFECT_DENY {
		t.Fatalf("read .env: %v %v", resp, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("server did not stop after SIGTERM")
	}
}

// TestDemo runs `airlock demo` and checks that the newcomer sees each
// outcome with its reason.
func TestDemo(t *testing.T) {
	bin := buildBinary(t)
	out, err := exec.Command(bin, "demo").CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"ALLOW → SUCCEEDED", "DENY → DENIED", "ESCALATE → PENDING_APPROVAL", "secrets", "leaves the workspace", "+def total(items, discount=0):"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadConfigNamesKey(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "airlock.yaml")
	if err := os.WriteFile(p, []byte("policy: {dir: .}\nworkspaces: [{name: x, root: ., environment: moon}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "serve", "--config", p).CombinedOutput()
	if err == nil {
		t.Fatal("served a bad config")
	}
	if !strings.Contains(string(out), "workspaces[0].environment") {
		t.Errorf("error does not name the key:\n%s", out)
	}
}

// TestApprovalsCLI: an approver lists, shows and approves from the command
// line; a rejection without a comment is refused.
func TestApprovalsCLI(t *testing.T) {
	s := serveExample(t)
	c, err := client.Dial(s.addr, client.Options{Token: "demo-agent-token"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Agent.Submit(context.Background(), &airlockv1.SubmitRequest{Request: &airlockv1.ActionRequest{
		Workspace: "demo", Intent: "scale up",
		Action: &airlockv1.Action{Kind: &airlockv1.Action_EditFile{EditFile: &airlockv1.EditFile{Path: "deploy/service.yaml", OldText: "replicas: 3", NewText: "replicas: 7"}}},
	}})
	if err != nil || resp.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL {
		t.Fatalf("%v %v", resp, err)
	}
	id := resp.GetAction().GetActionId()
	run := func(token string, args ...string) (string, error) {
		cmd := exec.Command(s.bin, append([]string{"approvals", "--addr", s.addr, "--token", token}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("demo-bob-token", "list")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "deploy/service.yaml") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, err = run("demo-bob-token", "show", id)
	if err != nil || !strings.Contains(out, "+replicas: 7") || !strings.Contains(out, "scale up") || !strings.Contains(out, "may vote") {
		t.Fatalf("show: %v\n%s", err, out)
	}
	if out, err = run("demo-bob-token", "reject", id); err == nil {
		t.Fatalf("reject without comment succeeded:\n%s", out)
	}
	out, err = run("demo-agent-token", "approve", id)
	if err == nil || !strings.Contains(out, "PermissionDenied") {
		t.Fatalf("agent approved its own action: %v\n%s", err, out)
	}
	out, err = run("demo-bob-token", "approve", id, "--comment", "ok")
	if err != nil || !strings.Contains(out, "succeeded") {
		t.Fatalf("approve: %v\n%s", err, out)
	}
	out, err = run("demo-bob-token", "list", "--json")
	if err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("list after approval: %v\n%s", err, out)
	}
}
