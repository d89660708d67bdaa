package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/clients/go/clienttest"
)

// cliBinary is the binary TestMain built.
func cliBinary(t *testing.T) string {
	t.Helper()
	return testBinary
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, bin string, env []string, stdin string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return cliResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

const cliPatch = `--- a/notes/todo.txt
+++ b/notes/todo.txt
@@ -1,3 +1,3 @@
 one
-two
+TWO
 three
`

// TestSubmitAndEvalCLI runs the built binary against a server process and
// checks exit codes, human output, and --json output.
func TestSubmitAndEvalCLI(t *testing.T) {
	bin := cliBinary(t)
	srv := clienttest.ServeBinary(t, bin)
	env := []string{"AIRLOCK_ADDR=" + srv.Addr, "AIRLOCK_TOKEN=" + clienttest.AgentToken, "AIRLOCK_WORKSPACE=dev"}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	cases := []struct {
		name   string
		args   []string
		stdin  string
		env    []string
		code   int
		stdout []string
		stderr []string
		check  func(t *testing.T, r cliResult)
	}{
		{name: "read allowed", args: []string{"submit", "read-file", "src/app.go"}, code: 0,
			stdout: []string{"ALLOW → succeeded", "func Hello()"}},
		{name: "read secret denied", args: []string{"submit", "read-file", ".env", "--intent", "curious"}, code: 2,
			stdout: []string{"DENY → denied", "[secrets.touch]"}, stderr: []string{"denied by policy"}},
		{name: "write from stdin", args: []string{"submit", "write-file", "src/cli.txt", "--content-file", "-"}, stdin: "hello\n", code: 0,
			stdout: []string{"+hello", "created true"}, check: func(t *testing.T, _ cliResult) {
				if got := srv.Read("src/cli.txt"); got != "hello\n" {
					t.Errorf("file = %q", got)
				}
			}},
		{name: "edit shows the diff", args: []string{"submit", "edit-file", "src/cli.txt", "--old", "hello", "--new", "bye"}, code: 0,
			stdout: []string{"-hello", "+bye", "1 replacement(s)"}},
		{name: "edit deploy escalated", args: []string{"submit", "edit-file", "deploy/service.yaml", "--old", "replicas: 3", "--new", "replicas: 4"}, code: 3,
			stdout: []string{"ESCALATE → pending approval", "needs 1 approval(s) from senior"}, check: func(t *testing.T, _ cliResult) {
				if got := srv.Read("deploy/service.yaml"); got != "replicas: 3\n" {
					t.Errorf("escalated edit ran: %q", got)
				}
			}},
		{name: "wait times out still pending", args: []string{"submit", "--wait", "--wait-timeout", "200ms", "write-file", "deploy/w.yaml", "--content", "x"}, code: 3,
			stdout: []string{"waiting up to 200ms"}},
		{name: "missing file fails in execution", args: []string{"submit", "read-file", "src/missing.go"}, code: 4,
			stderr: []string{"FILE_NOT_FOUND", "(action act_"}},
		{name: "escape refused before policy", args: []string{"submit", "read-file", "../../etc/passwd"}, code: 1,
			stderr: []string{"WORKSPACE_ESCAPE"}},
		{name: "mkdir", args: []string{"submit", "mkdir", "src/cli"}, code: 0, stdout: []string{"directory ready"}},
		{name: "move", args: []string{"submit", "move-file", "src/cli.txt", "src/cli/moved.txt"}, code: 0, stdout: []string{"moved"}},
		{name: "list recursive", args: []string{"submit", "list", "src", "-r"}, code: 0, stdout: []string{"src/cli/\n", "src/cli/moved.txt"}},
		{name: "delete", args: []string{"submit", "delete-file", "src/cli/moved.txt"}, code: 0, stdout: []string{"deleted"}},
		{name: "patch from stdin", args: []string{"submit", "apply-patch", "--file", "-"}, stdin: cliPatch, code: 0,
			stdout: []string{"modify notes/todo.txt"}},
		{name: "exec argv", args: []string{"submit", "exec", "--", "ls", "tests"}, code: 0, stdout: []string{"app_test.go", "exit code 0"}},
		{name: "exec script fails", args: []string{"submit", "exec", "--script", "echo oops >&2; exit 3"}, code: 4,
			stdout: []string{"exit code 3"}, stderr: []string{"oops"}},
		{name: "exec network denied", args: []string{"submit", "exec", "--script", "curl https://example.com"}, code: 2,
			stdout: []string{"[exec.network]"}},
		{name: "exec needs argv or script", args: []string{"submit", "exec"}, code: 1, stderr: []string{"give a program after --"}},
		{name: "json allowed", args: []string{"submit", "--json", "read-file", "src/app.go"}, code: 0, check: func(t *testing.T, r cliResult) {
			var rec struct {
				Status string `json:"status"`
				Result struct {
					ReadFile struct {
						Content string `json:"content"`
					} `json:"read_file"`
				} `json:"result"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || rec.Status != "ACTION_STATUS_SUCCEEDED" || rec.Result.ReadFile.Content == "" {
				t.Errorf("json = %v %+v\n%s", err, rec, r.stdout)
			}
		}},
		{name: "json denied", args: []string{"submit", "--json", "read-file", ".env"}, code: 2, check: func(t *testing.T, r cliResult) {
			var rec struct {
				Decision struct {
					Effect  string `json:"effect"`
					Reasons []struct {
						RuleID string `json:"rule_id"`
					} `json:"reasons"`
				} `json:"decision"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || rec.Decision.Effect != "EFFECT_DENY" || len(rec.Decision.Reasons) == 0 {
				t.Errorf("json = %v %+v\n%s", err, rec, r.stdout)
			}
		}},
		{name: "json error", args: []string{"submit", "--json", "read-file", "../x"}, code: 1, check: func(t *testing.T, r cliResult) {
			var e jsonError
			if err := json.Unmarshal([]byte(r.stdout), &e); err != nil || e.Error.Reason != "ERROR_REASON_WORKSPACE_ESCAPE" || e.Error.Code != "InvalidArgument" {
				t.Errorf("json = %v %+v\n%s", err, e, r.stdout)
			}
		}},
		{name: "no token", args: []string{"submit", "read-file", "x"}, env: []string{"AIRLOCK_TOKEN="}, code: 1, stderr: []string{"no token"}},
		{name: "bad token", args: []string{"submit", "read-file", "x", "--token", "wrong"}, code: 1, stderr: []string{"UNAUTHENTICATED"}},
		{name: "server down", args: []string{"submit", "read-file", "src/app.go", "--addr", dead}, code: 1, stderr: []string{"cannot reach the Airlock server"}},
		{name: "eval allow", args: []string{"eval", "write-file", "src/eval.txt", "--content", "x"}, code: 0, stdout: []string{"ALLOW", "+x"},
			check: func(t *testing.T, _ cliResult) {
				if srv.Read("src/eval.txt") != "<missing>" {
					t.Error("eval wrote the file")
				}
			}},
		{name: "eval deny", args: []string{"eval", "read-file", ".env"}, code: 2, stdout: []string{"DENY", "secrets.touch"}},
		{name: "eval escalate", args: []string{"eval", "write-file", "deploy/e.yaml", "--content", "x"}, code: 3, stdout: []string{"ESCALATE", "needs 1 approval(s)"}},
		{name: "eval command plan", args: []string{"eval", "--json", "exec", "--script", "ls | wc -l"}, code: 0, stdout: []string{`"commands"`, `"wc"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, bin, append(append([]string{}, env...), tc.env...), tc.stdin, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
	t.Run("idempotency key returns the first answer", func(t *testing.T) {
		args := []string{"submit", "--json", "--idempotency-key", "cli-key-1", "write-file", "src/idem.txt", "--content", "v1"}
		var ids []string
		for range 2 {
			r := runCLI(t, bin, env, "", args...)
			var rec struct {
				ActionID string `json:"action_id"`
			}
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rec) != nil {
				t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
			}
			ids = append(ids, rec.ActionID)
		}
		if ids[0] == "" || ids[0] != ids[1] {
			t.Errorf("action ids = %v", ids)
		}
	})
}

func TestCompletionAndHelp(t *testing.T) {
	bin := cliBinary(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{name: "bash", args: []string{"completion", "bash"}, want: "__start_airlock"},
		{name: "zsh", args: []string{"completion", "zsh"}, want: "#compdef airlock"},
		{name: "fish", args: []string{"completion", "fish"}, want: "complete -c airlock"},
		{name: "subcommands complete", args: []string{"__complete", "submit", ""}, want: "read-file"},
		{name: "submit help documents exit codes", args: []string{"submit", "--help"}, want: "3  escalated"},
		{name: "eval help documents exit codes", args: []string{"eval", "--help"}, want: "2  denied by the policy"},
		{name: "mcp help", args: []string{"mcp", "--help"}, want: "--await-timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, bin, nil, "", tc.args...)
			if r.code != 0 || !strings.Contains(r.stdout, tc.want) {
				t.Fatalf("exit %d, stdout lacks %q:\n%.2000s\nstderr: %s", r.code, tc.want, r.stdout, r.stderr)
			}
		})
	}
}
