package main

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestMCPHandshake speaks raw JSON-RPC to `airlock mcp` over stdio, as any
// MCP client would, without the go-sdk: initialize, then tools/list.
func TestMCPHandshake(t *testing.T) {
	bin := cliBinary(t)
	cmd := exec.Command(bin, "mcp", "--workspace", "dev", "--addr", "127.0.0.1:1")
	cmd.Env = []string{"AIRLOCK_TOKEN=x"}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait() //nolint:errcheck // ends when stdin closes
	defer in.Close()
	// Stdin stays open until both answers are read: a client that hangs up
	// is not owed its answers.
	if _, err := in.Write([]byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":2,"method":"tools/list"}
`)); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	var replies []map[string]any
	for len(replies) < 2 && sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stdout carries a non-JSON line (it must carry only MCP): %q", sc.Text())
		}
		replies = append(replies, m)
	}
	if len(replies) != 2 {
		t.Fatalf("replies = %v", replies)
	}
	info, _ := replies[0]["result"].(map[string]any)["serverInfo"].(map[string]any)
	if info["name"] != "airlock" {
		t.Errorf("initialize = %v", replies[0])
	}
	tools, _ := replies[1]["result"].(map[string]any)["tools"].([]any)
	if len(tools) != 10 {
		t.Errorf("tools/list gave %d tools", len(tools))
	}
}

func TestMCPNeedsWorkspaceAndToken(t *testing.T) {
	bin := cliBinary(t)
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{name: "no workspace", args: []string{"mcp"}, env: []string{"AIRLOCK_TOKEN=x"}, want: "no workspace"},
		{name: "no token", args: []string{"mcp", "--workspace", "dev"}, want: "no token"},
		{name: "remote plaintext", args: []string{"mcp", "--workspace", "dev", "--addr", "192.0.2.1:7443"}, env: []string{"AIRLOCK_TOKEN=x"}, want: "refusing to send a token without TLS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = tc.env
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Fatalf("err %v, output:\n%s", err, out)
			}
		})
	}
}
