package mcp_test

import (
	"bufio"
	"context"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-dev/airlock/clients/go/clienttest"
)

var httpRE = regexp.MustCompile(`serving streamable HTTP on (http://\S+/mcp)`)

// TestStreamableHTTP runs `airlock mcp --http` and drives it with the
// go-sdk's streamable HTTP client.
func TestStreamableHTTP(t *testing.T) {
	srv := clienttest.Start(t)
	cmd := bridgeCmd(srv.Addr, "--http", "127.0.0.1:0")
	cmd.Stderr = nil
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // already gone on the happy path
	sc := bufio.NewScanner(stderr)
	endpoint := ""
	for sc.Scan() {
		if m := httpRE.FindStringSubmatch(sc.Text()); m != nil {
			endpoint = m[1]
			break
		}
	}
	if endpoint == "" {
		t.Fatal("bridge never said where it serves")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := sdk.NewClient(&sdk.Implementation{Name: "airlock-test", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: endpoint}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_file", Arguments: map[string]any{"path": "src/app.go"}})
	if err != nil || res.IsError || !strings.Contains(textOf(res), "func Hello") {
		t.Fatalf("read_file: %v %v", err, res)
	}
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_file", Arguments: map[string]any{"path": ".env"}})
	if err != nil || !res.IsError || !strings.Contains(textOf(res), "DENIED") {
		t.Fatalf("read .env: %v %v", err, res)
	}
	cs.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

func TestHTTPRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0"} {
		t.Run(addr, func(t *testing.T) {
			cmd := bridgeCmd("127.0.0.1:1", "--http", addr)
			cmd.Stderr = nil
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "only loopback") {
				t.Fatalf("err %v, output:\n%s", err, out)
			}
		})
	}
}
