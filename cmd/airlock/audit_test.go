package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/examples"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	_ "github.com/airlock-dev/airlock/store/sqlite" // the "sqlite" database/sql driver, for tampering
)

const (
	auditAgentToken   = "audit-agent-token"
	auditorTokenCLI   = "audit-auditor-token"
	auditDevToken     = "audit-developer-token"
	auditServeTimeout = 60 * time.Second
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// auditSite is a config with a SQLite store, the example policies, a dev
// workspace, an agent, an auditor and a developer.
type auditSite struct {
	bin, cfg, db, ws string
}

func newAuditSite(t *testing.T, bin string) *auditSite {
	t.Helper()
	dir := t.TempDir()
	if _, err := examples.Unpack(dir); err != nil {
		t.Fatal(err)
	}
	s := &auditSite{bin: bin, cfg: filepath.Join(dir, "audit.yaml"), db: filepath.Join(dir, "state", "airlock.db"), ws: filepath.Join(dir, "workspace")}
	cfg := fmt.Sprintf(`listen: {address: 127.0.0.1:0}
store: {path: %s}
policy: {dir: %s}
log: {level: warn, file: %s}
workspaces: [{name: dev, root: %s, environment: dev}]
principals:
  - {id: agent-1, kind: agent, roles: [agent], on_behalf_of: alice, token_sha256: %s}
  - {id: audra, kind: human, roles: [auditor], token_sha256: %s}
  - {id: dev, kind: human, roles: [developer], token_sha256: %s}
`, s.db, filepath.Join(dir, "policies"), filepath.Join(dir, "server.log"), s.ws,
		sha(auditAgentToken), sha(auditorTokenCLI), sha(auditDevToken))
	if err := os.WriteFile(s.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// serve starts `airlock serve` on the site and returns it once it listens.
func (s *auditSite) serve(t *testing.T) *served {
	t.Helper()
	cmd := exec.Command(s.bin, "serve", "--config", s.cfg)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var seen []string
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				for sc.Scan() { // keep draining
				}
				return
			}
			seen = append(seen, sc.Text())
		}
		found <- "exited: " + strings.Join(seen, "\n")
	}()
	select {
	case addr := <-found:
		if strings.HasPrefix(addr, "exited: ") {
			t.Fatalf("server did not start:\n%s", addr)
		}
		return &served{bin: s.bin, addr: addr, cmd: cmd}
	case <-time.After(auditServeTimeout):
		t.Fatal("server did not say where it serves")
	}
	return nil
}

// runAirlock runs the binary and returns stdout, stderr and the exit code.
func runAirlock(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AIRLOCK_TOKEN=", "AIRLOCK_ADDR=")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// jsonLines parses JSON lines output.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		evs = append(evs, m)
	}
	return evs
}

func agentSubmit(t *testing.T, c *client.Client, a *airlockv1.Action) *airlockv1.ActionRecord {
	t.Helper()
	resp, err := c.Agent.Submit(context.Background(), &airlockv1.SubmitRequest{Request: &airlockv1.ActionRequest{Workspace: "dev", Intent: "audit cli test", Action: a}})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetAction()
}

func writeAction(path, content string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_WriteFile{WriteFile: &airlockv1.WriteFile{Path: path, Content: []byte(content)}}}
}

// TestAuditCLI drives every `airlock audit` subcommand against a real
// server, then tampers with the database and verifies it offline.
func TestAuditCLI(t *testing.T) {
	site := newAuditSite(t, buildBinary(t))
	srv := site.serve(t)
	c, err := client.Dial(srv.addr, client.Options{Token: auditAgentToken})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	allowed := agentSubmit(t, c, writeAction("src/cli.go", "package app\n"))
	denied := agentSubmit(t, c, &airlockv1.Action{Kind: &airlockv1.Action_ReadFile{ReadFile: &airlockv1.ReadFile{Path: ".env"}}})
	if allowed.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED || denied.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_DENIED {
		t.Fatalf("setup: %v %v", allowed.GetStatus(), denied.GetStatus())
	}
	audit := func(token string, args ...string) (string, string, int) {
		return runAirlock(t, site.bin, append([]string{"audit", "--addr", srv.addr, "--token", token}, args...)...)
	}

	out, errOut, code := audit(auditorTokenCLI, "export")
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	exported := jsonLines(t, out)
	if len(exported) != 3 {
		t.Fatalf("export gave %d events, want 3 (two decided, one executed):\n%s", len(exported), out)
	}
	prev := strings.Repeat("0", 64)
	for i, ev := range exported {
		if ev["seq"] != float64(i+1) || ev["prev_hash"] != prev || len(ev["hash"].(string)) != 64 {
			t.Fatalf("export line %d does not chain: %v", i, ev)
		}
		prev = ev["hash"].(string)
	}

	cases := []struct {
		name  string
		args  []string
		check func(t *testing.T, out string)
	}{
		{"query by action as JSON", []string{"query", "--action", allowed.GetActionId(), "--json"}, func(t *testing.T, out string) {
			evs := jsonLines(t, out)
			if len(evs) != 2 || evs[0]["type"] != "action.decided" || evs[1]["type"] != "action.executed" || evs[0]["effect"] != "allow" {
				t.Errorf("events = %v", evs)
			}
		}},
		{"query denials as a table", []string{"query", "--effect", "deny", "--since", "1h"}, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "SEQ") || !strings.Contains(lines[1], denied.GetActionId()) || !strings.Contains(lines[1], "deny") {
				t.Errorf("table:\n%s", out)
			}
		}},
		{"query with nothing matching", []string{"query", "--principal", "nobody"}, func(t *testing.T, out string) {
			if strings.TrimSpace(out) != "no matching events" {
				t.Errorf("out = %q", out)
			}
		}},
		{"query since a future time", []string{"query", "--since", time.Now().Add(time.Hour).Format(time.RFC3339), "--json"}, func(t *testing.T, out string) {
			if strings.TrimSpace(out) != "" {
				t.Errorf("out = %q", out)
			}
		}},
		{"tail the newest", []string{"tail", "-n", "1", "--json"}, func(t *testing.T, out string) {
			evs := jsonLines(t, out)
			if len(evs) != 1 || evs[0]["hash"] != exported[len(exported)-1]["hash"] {
				t.Errorf("tail = %v", evs)
			}
		}},
		{"verify", []string{"verify"}, func(t *testing.T, out string) {
			if !strings.Contains(out, "chain OK: 3 records") || !strings.Contains(out, "head "+prev) {
				t.Errorf("verify:\n%s", out)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := audit(auditorTokenCLI, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			tc.check(t, out)
		})
	}
	for _, tc := range []struct {
		name, token string
		args        []string
		want        string
	}{
		{"agent may not read", auditAgentToken, []string{"export"}, "PermissionDenied"},
		{"developer may not verify", auditDevToken, []string{"verify"}, "PermissionDenied"},
		{"bad duration", auditorTokenCLI, []string{"query", "--since", "yesterday"}, "--since"},
		{"unknown effect", auditorTokenCLI, []string{"query", "--effect", "perhaps"}, "InvalidArgument"},
		{"no token", "", []string{"verify"}, "no token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := audit(tc.token, tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want failure mentioning %q", code, errOut, tc.want)
			}
		})
	}

	t.Run("tail -f sees new events", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, site.bin, "audit", "--addr", srv.addr, "--token", auditorTokenCLI, "tail", "-f", "-n", "1", "--json")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		sc := bufio.NewScanner(stdout)
		next := func() map[string]any {
			t.Helper()
			if !sc.Scan() {
				t.Fatalf("tail -f ended: %v", sc.Err())
			}
			var ev map[string]any
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			return ev
		}
		// The newest event is printed once the history is read; the
		// follow then starts right after it, so nothing can fall between.
		if ev := next(); ev["hash"] != prev {
			t.Fatalf("tail -n 1 printed %v, want the head", ev)
		}
		fresh := agentSubmit(t, c, writeAction("src/tailed.go", "package app\n"))
		var types []string
		for len(types) < 2 {
			ev := next()
			if ev["action_id"] != fresh.GetActionId() {
				t.Fatalf("tail -f printed an unexpected event: %v", ev)
			}
			types = append(types, ev["type"].(string))
		}
		if strings.Join(types, " ") != "action.decided action.executed" {
			t.Fatalf("followed %v", types)
		}
	})

	// Offline: stop the server, tamper with one record, verify the file.
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Wait()
	out, errOut, code = runAirlock(t, site.bin, "audit", "verify", "--db", site.db)
	if code != 0 || !strings.Contains(out, "chain OK: 5 records") {
		t.Fatalf("offline verify of the intact file: exit %d\n%s%s", code, out, errOut)
	}
	db, err := sql.Open("sqlite", site.db)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE audit SET body = CAST(replace(CAST(body AS TEXT), '"deny"', '"allow"') AS BLOB) WHERE action_id = ? AND type = 'action.decided'`, denied.GetActionId())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("tampered %d rows", n)
	}
	var seq int64
	if err := db.QueryRow(`SELECT seq FROM audit WHERE action_id = ? AND type = 'action.decided'`, denied.GetActionId()).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, _, code = runAirlock(t, site.bin, "audit", "verify", "--db", site.db)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("chain BROKEN at seq %d: altered", seq)) || !strings.Contains(out, "head ") {
		t.Fatalf("offline verify of the tampered file: exit %d\n%s", code, out)
	}
	missing := filepath.Join(t.TempDir(), "typo.db")
	if _, errOut, code := runAirlock(t, site.bin, "audit", "verify", "--db", missing); code == 0 || !strings.Contains(errOut, "no such file") {
		t.Fatalf("verify of a missing file: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("verify created %s", missing)
	}
}
