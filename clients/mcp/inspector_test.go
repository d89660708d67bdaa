package mcp_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/clients/go/clienttest"
)

// inspectorVersion is the independent MCP client this test uses: the
// official MCP Inspector's CLI mode (TypeScript SDK), pinned.
const inspectorVersion = "0.15.0"

// inspector installs the MCP Inspector with npm into the user cache (once)
// and returns the path of its CLI script. It skips where npm is missing.
func inspector(t *testing.T) string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not installed; CI has it")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "airlock-test", "mcp-inspector-"+inspectorVersion)
	cli := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "inspector", "cli", "build", "cli.js")
	if _, err := os.Stat(cli); err == nil {
		return cli
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	install := exec.Command(npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error",
		"@modelcontextprotocol/inspector@"+inspectorVersion)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install @modelcontextprotocol/inspector@%s: %v\n%s", inspectorVersion, err, out)
	}
	return cli
}

// TestInspectorCLI drives `airlock mcp` with a client that shares no code
// with the bridge: tools/list, an allowed read and a denied one.
func TestInspectorCLI(t *testing.T) {
	cli := inspector(t)
	srv := clienttest.Start(t)
	run := func(args ...string) map[string]any {
		t.Helper()
		base := []string{cli, "--cli", "-e", "AIRLOCK_TOKEN=" + clienttest.AgentToken,
			bin, "mcp", "--workspace", "dev", "--addr", srv.Addr}
		out, err := exec.Command("node", append(base, args...)...).Output()
		if err != nil {
			t.Fatalf("inspector %v: %v\n%s", args, err, out)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("inspector output is not JSON: %v\n%s", err, out)
		}
		return v
	}
	list := run("--method", "tools/list")
	var names []string
	for _, tool := range list["tools"].([]any) {
		names = append(names, tool.(map[string]any)["name"].(string))
	}
	if got := strings.Join(names, ","); !strings.Contains(got, "read_file") || !strings.Contains(got, "run_command") || len(names) != 10 {
		t.Errorf("tools = %s", got)
	}
	read := run("--method", "tools/call", "--tool-name", "read_file", "--tool-arg", "path=src/app.go")
	if raw, _ := json.Marshal(read); read["isError"] == true || !strings.Contains(string(raw), "func Hello") {
		t.Errorf("read_file = %s", raw)
	}
	denied := run("--method", "tools/call", "--tool-name", "read_file", "--tool-arg", "path=.env")
	if raw, _ := json.Marshal(denied); denied["isError"] != true || !strings.Contains(string(raw), "secrets.touch") {
		t.Errorf("read .env = %s", raw)
	}
}
