package main

import (
	"bufio"
	"context"
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

// buildBinary builds cmd/airlock once per test into a temp dir.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "airlock")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var servingRE = regexp.MustCompile(`serving on (\S+) \(tcp\)`)

// TestServeProcess runs the real binary: serve the example config on a free
// port, answer a Submit and a health check, then drain on SIGTERM and exit 0.
func TestServeProcess(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cfgPath, err := examples.Unpack(dir)
	if err != nil {
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
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // already exited on the happy path
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
