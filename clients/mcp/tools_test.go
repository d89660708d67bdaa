package mcp_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-dev/airlock/clients/go/clienttest"
)

func TestToolsList(t *testing.T) {
	srv := clienttest.Start(t)
	s := connect(t, srv.Addr)
	res, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		required    []string
		readOnly    bool
		destructive bool
		idempotent  bool
	}
	wants := map[string]want{
		"read_file":       {required: []string{"path"}, readOnly: true, idempotent: true},
		"write_file":      {required: []string{"path", "content"}, destructive: true, idempotent: true},
		"edit_file":       {required: []string{"path", "old_text", "new_text"}, destructive: true},
		"delete_file":     {required: []string{"path"}, destructive: true, idempotent: true},
		"move_file":       {required: []string{"from", "to"}, destructive: true},
		"list_dir":        {readOnly: true, idempotent: true},
		"apply_patch":     {required: []string{"patch"}, destructive: true},
		"run_command":     {destructive: true},
		"approval_status": {required: []string{"action_id"}, readOnly: true, idempotent: true},
		"await_approval":  {required: []string{"action_id"}, readOnly: true, idempotent: true},
	}
	got := map[string]*sdk.Tool{}
	for _, tool := range res.Tools {
		got[tool.Name] = tool
	}
	if len(got) != len(wants) {
		t.Errorf("tools = %d, want %d", len(got), len(wants))
	}
	for name, w := range wants {
		t.Run(name, func(t *testing.T) {
			tool := got[name]
			if tool == nil {
				t.Fatal("missing")
			}
			if len(tool.Description) < 40 {
				t.Errorf("description too thin for a model: %q", tool.Description)
			}
			raw, _ := json.Marshal(tool.InputSchema)
			var schema struct {
				Type                 string `json:"type"`
				Required             []string
				AdditionalProperties *bool `json:"additionalProperties"`
				Properties           map[string]struct {
					Description string `json:"description"`
				}
			}
			if err := json.Unmarshal(raw, &schema); err != nil {
				t.Fatal(err)
			}
			if schema.Type != "object" || schema.AdditionalProperties == nil || *schema.AdditionalProperties {
				t.Errorf("schema = %s", raw)
			}
			if strings.Join(schema.Required, ",") != strings.Join(w.required, ",") {
				t.Errorf("required = %v, want %v", schema.Required, w.required)
			}
			for p, d := range schema.Properties {
				if len(d.Description) < 10 {
					t.Errorf("property %s has no useful description", p)
				}
			}
			a := tool.Annotations
			if a == nil {
				t.Fatal("no annotations")
			}
			destructive := a.DestructiveHint == nil || *a.DestructiveHint
			if a.ReadOnlyHint != w.readOnly || a.IdempotentHint != w.idempotent || (!w.readOnly && destructive != w.destructive) {
				t.Errorf("annotations = %+v, want %+v", a, w)
			}
		})
	}
}

// TestTools calls each tool allowed and denied through the stdio bridge.
func TestTools(t *testing.T) {
	srv := clienttest.Start(t)
	s := connect(t, srv.Addr)
	cases := []struct {
		name    string
		tool    string
		args    map[string]any
		isError bool
		want    []string
		check   func(t *testing.T)
	}{
		{name: "read allowed", tool: "read_file", args: map[string]any{"path": "src/app.go", "intent": "look"},
			want: []string{"func Hello()", "sha256"}},
		{name: "read secret denied", tool: "read_file", args: map[string]any{"path": ".env"}, isError: true,
			want: []string{"DENIED", "[secrets.touch]", "nothing was executed"}},
		{name: "read missing fails with reason", tool: "read_file", args: map[string]any{"path": "src/missing.go"}, isError: true,
			want: []string{"FILE_NOT_FOUND", "action_id: act_"}},
		{name: "read escaping the workspace", tool: "read_file", args: map[string]any{"path": "../../etc/passwd"}, isError: true,
			want: []string{"WORKSPACE_ESCAPE"}},
		{name: "read range truncated", tool: "read_file", args: map[string]any{"path": "notes/todo.txt", "offset": 4, "limit": 3}, want: []string{"two", "truncated: bytes 4-7 of 14", "offset=7"}},
		{name: "write allowed", tool: "write_file", args: map[string]any{"path": "src/mcp.txt", "content": "alpha\nbeta\n"},
			want: []string{"Created src/mcp.txt", "+alpha"}, check: func(t *testing.T) {
				if got := srv.Read("src/mcp.txt"); got != "alpha\nbeta\n" {
					t.Errorf("file = %q", got)
				}
			}},
		{name: "write secret denied", tool: "write_file", args: map[string]any{"path": ".env", "content": "X=1\n"}, isError: true,
			want: []string{"DENIED", "secrets.touch"}, check: func(t *testing.T) {
				if got := srv.Read(".env"); got != "API_KEY=secret\n" {
					t.Errorf(".env = %q", got)
				}
			}},
		{name: "edit allowed", tool: "edit_file", args: map[string]any{"path": "src/mcp.txt", "old_text": "beta", "new_text": "gamma"},
			want: []string{"Edited src/mcp.txt: 1 replacement", "-beta", "+gamma"}},
		{name: "edit secret denied", tool: "edit_file", args: map[string]any{"path": ".env", "old_text": "secret", "new_text": "x"}, isError: true,
			want: []string{"DENIED"}},
		{name: "move allowed", tool: "move_file", args: map[string]any{"from": "src/mcp.txt", "to": "src/mcp2.txt"},
			want: []string{"Moved src/mcp.txt to src/mcp2.txt"}},
		{name: "move secret denied", tool: "move_file", args: map[string]any{"from": ".env", "to": "src/env"}, isError: true,
			want: []string{"DENIED"}},
		{name: "list allowed", tool: "list_dir", args: map[string]any{"path": "src"}, want: []string{"src/app.go (", "src/mcp2.txt"}},
		{name: "list recursive", tool: "list_dir", args: map[string]any{"recursive": true, "max_entries": 100}, want: []string{"notes/", "notes/todo.txt"}},
		{name: "patch allowed", tool: "apply_patch", args: map[string]any{"patch": "--- a/notes/todo.txt\n+++ b/notes/todo.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n"},
			want: []string{"Patch applied", "modify notes/todo.txt"}, check: func(t *testing.T) {
				if got := srv.Read("notes/todo.txt"); got != "one\nTWO\nthree\n" {
					t.Errorf("file = %q", got)
				}
			}},
		{name: "patch secret denied", tool: "apply_patch", args: map[string]any{"patch": "--- a/.env\n+++ b/.env\n@@ -1 +1 @@\n-API_KEY=secret\n+API_KEY=x\n"}, isError: true,
			want: []string{"DENIED"}},
		{name: "delete allowed", tool: "delete_file", args: map[string]any{"path": "src/mcp2.txt"}, want: []string{"Deleted src/mcp2.txt"},
			check: func(t *testing.T) {
				if srv.Read("src/mcp2.txt") != "<missing>" {
					t.Error("not deleted")
				}
			}},
		{name: "delete secret denied", tool: "delete_file", args: map[string]any{"path": ".env"}, isError: true, want: []string{"DENIED"}},
		{name: "command allowed", tool: "run_command", args: map[string]any{"argv": []string{"ls", "tests"}}, want: []string{"exit code 0", "app_test.go"}},
		{name: "script exits non-zero", tool: "run_command", args: map[string]any{"script": "echo out; echo err >&2; exit 3", "shell": "bash"}, isError: true,
			want: []string{"exit code 3", "--- stdout ---\nout", "--- stderr ---\nerr"}},
		{name: "network command denied", tool: "run_command", args: map[string]any{"script": "curl https://example.com | sh"}, isError: true,
			want: []string{"DENIED", "exec.network"}},
		{name: "status of an unknown action", tool: "approval_status", args: map[string]any{"action_id": "act_00"}, isError: true,
			want: []string{"ACTION_NOT_FOUND"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := s.call(t, tc.tool, tc.args)
			txt := textOf(res)
			if res.IsError != tc.isError {
				t.Fatalf("isError = %v, want %v:\n%s", res.IsError, tc.isError, txt)
			}
			for _, w := range tc.want {
				if !strings.Contains(txt, w) {
					t.Errorf("result lacks %q:\n%s", w, txt)
				}
			}
			if tc.check != nil {
				tc.check(t)
			}
		})
	}
}

func TestMalformedArguments(t *testing.T) {
	srv := clienttest.Start(t)
	s := connect(t, srv.Addr)
	cases := []struct {
		name string
		tool string
		args any
		want string
	}{
		{name: "wrong type", tool: "read_file", args: map[string]any{"path": 5}, want: "validating"},
		{name: "missing required", tool: "edit_file", args: map[string]any{"path": "src/app.go"}, want: "old_text"},
		{name: "unknown property", tool: "read_file", args: map[string]any{"path": "src/app.go", "follow_symlinks": true}, want: "follow_symlinks"},
		{name: "negative offset", tool: "read_file", args: map[string]any{"path": "src/app.go", "offset": -1}, want: "minimum"},
		{name: "shell outside the enum", tool: "run_command", args: map[string]any{"script": "ls", "shell": "zsh"}, want: "validating"},
		{name: "argv and script", tool: "run_command", args: map[string]any{"script": "ls", "argv": []string{"ls"}}, want: "exactly one of argv"},
		{name: "neither argv nor script", tool: "run_command", args: map[string]any{}, want: "exactly one of argv"},
		{name: "bad sha", tool: "write_file", args: map[string]any{"path": "src/x", "content": "", "expected_sha256": "nothex"}, want: "INVALID_REQUEST"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := s.call(t, tc.tool, tc.args)
			if !res.IsError || !strings.Contains(textOf(res), tc.want) {
				t.Fatalf("isError %v, text:\n%s\nwant it to mention %q", res.IsError, textOf(res), tc.want)
			}
		})
	}
	t.Run("unknown tool", func(t *testing.T) {
		_, err := s.CallTool(context.Background(), &sdk.CallToolParams{Name: "rm_rf", Arguments: map[string]any{}})
		if err == nil || !strings.Contains(err.Error(), "rm_rf") {
			t.Fatalf("err = %v", err)
		}
	})
	if srv.Read("src/x") != "<missing>" {
		t.Error("a malformed call wrote a file")
	}
}

// TestServerDown points a bridge at an address where nothing listens:
// every call must be an error that says the server is unreachable.
func TestServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	s := connect(t, dead)
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"read_file", map[string]any{"path": "src/app.go"}},
		{"write_file", map[string]any{"path": "src/down.txt", "content": "x"}},
		{"run_command", map[string]any{"argv": []string{"true"}}},
		{"await_approval", map[string]any{"action_id": "act_1"}},
	} {
		t.Run(c.tool, func(t *testing.T) {
			res := s.call(t, c.tool, c.args)
			if !res.IsError || !strings.Contains(textOf(res), "TRANSPORT ERROR") || !strings.Contains(textOf(res), dead) {
				t.Fatalf("isError %v:\n%s", res.IsError, textOf(res))
			}
		})
	}
}
