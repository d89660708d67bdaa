package server_test

// Loopback round-trip benchmark. The server runs in a separate process (this
// test binary re-executed), the client here, over real TCP on 127.0.0.1:
//
//	go test -run '^$' -bench BenchmarkLoopback -benchtime 3000x -count 3 ./server/
//
// AIRLOCK_BENCH_SERVER_PROFILE=FILE writes a CPU profile of the server
// process. Each iteration makes, interleaved so that machine noise hits all alike: a
// bare gRPC echo (a health Check on a server with no interceptors), an
// Evaluate and a Submit of a small write_file under the example policies.
// It reports medians, p99s and the ratios to the echo.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/airlock-dev/airlock/auth"
	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/config"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/server"
)

const benchChildEnv = "AIRLOCK_BENCH_SERVER_DIR"

func init() {
	// The child role runs before any test: serve, print the addresses, and
	// exit when the parent closes stdin.
	if dir := os.Getenv(benchChildEnv); dir != "" {
		if err := runBenchServer(dir); err != nil {
			fmt.Fprintln(os.Stderr, "bench server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

func runBenchServer(dir string) error {
	ws := filepath.Join(dir, "ws")
	if err := os.MkdirAll(filepath.Join(ws, "src"), 0o755); err != nil {
		return err
	}
	pol, err := filepath.Abs(filepath.Join("..", "examples", "policies"))
	if err != nil {
		return err
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
store: {path: %s}
policy: {dir: %s}
log: {level: error}
workspaces: [{name: dev, root: %s, environment: dev}]
principals: [{id: agent-1, kind: agent, roles: [agent], token_sha256: %s}]
`, filepath.Join(dir, "airlock.db"), pol, ws, auth.HashToken(agentToken))), dir)
	if err != nil {
		return err
	}
	app, err := server.Build(context.Background(), cfg, zap.NewNop())
	if err != nil {
		return err
	}
	defer app.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	el, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	echo := grpc.NewServer()
	healthpb.RegisterHealthServer(echo, health.NewServer())
	go echo.Serve(el) //nolint:errcheck // stopped below
	defer echo.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// The parent closing our stdin is the stop signal.
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		cancel()
	}()
	if p := os.Getenv("AIRLOCK_BENCH_SERVER_PROFILE"); p != "" {
		// A CPU profile of the server side: go tool pprof server.test FILE.
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("app=%s echo=%s\n", l.Addr(), el.Addr())
	return app.Serve(ctx, []net.Listener{l})
}

func BenchmarkLoopback(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), benchChildEnv+"="+b.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("child: %v", err)
	}
	var appAddr, echoAddr string
	if _, err := fmt.Sscanf(strings.TrimSpace(line), "app=%s echo=%s", &appAddr, &echoAddr); err != nil {
		b.Fatalf("child said %q: %v", line, err)
	}
	c, err := client.Dial(appAddr, client.Options{Token: agentToken})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ec, err := grpc.NewClient(echoAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer ec.Close()
	echo := healthpb.NewHealthClient(ec)
	appConn, err := grpc.NewClient(appAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer appConn.Close()
	ctx := context.Background()
	req := &airlockv1.ActionRequest{Workspace: "dev", Intent: "bench", Action: writeA("src/bench.go", "package bench\n\nconst N = 1\n")}
	calls := []struct {
		name string
		do   func() error
	}{
		{"echo", func() error { _, err := echo.Check(ctx, &healthpb.HealthCheckRequest{}); return err }},
		{"apphealth", func() error {
			_, err := healthpb.NewHealthClient(appConn).Check(ctx, &healthpb.HealthCheckRequest{})
			return err
		}},
		{"evaluate", func() error { _, err := c.Agent.Evaluate(ctx, &airlockv1.EvaluateRequest{Request: req}); return err }},
		{"submit", func() error { _, err := c.Agent.Submit(ctx, &airlockv1.SubmitRequest{Request: req}); return err }},
	}
	for _, call := range calls { // warm up connections and caches
		for range 50 {
			if err := call.do(); err != nil {
				b.Fatalf("%s: %v", call.name, err)
			}
		}
	}
	lat := make([][]time.Duration, len(calls))
	b.ResetTimer()
	for range b.N {
		for i, call := range calls {
			t0 := time.Now()
			if err := call.do(); err != nil {
				b.Fatalf("%s: %v", call.name, err)
			}
			lat[i] = append(lat[i], time.Since(t0))
		}
	}
	b.StopTimer()
	med := make([]float64, len(calls))
	for i, call := range calls {
		slices.Sort(lat[i])
		med[i] = float64(lat[i][len(lat[i])/2].Microseconds())
		p99 := lat[i][len(lat[i])*99/100]
		b.ReportMetric(med[i], call.name+"-p50-us")
		b.ReportMetric(float64(p99.Microseconds()), call.name+"-p99-us")
	}
	b.ReportMetric(med[2]/med[0], "evaluate/echo")
	b.ReportMetric(med[3]/med[0], "submit/echo")
}
