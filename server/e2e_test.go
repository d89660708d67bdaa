package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/sandbox/files"
)

func readA(p string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_ReadFile{ReadFile: &airlockv1.ReadFile{Path: p}}}
}

func writeA(p, content string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_WriteFile{WriteFile: &airlockv1.WriteFile{Path: p, Content: []byte(content)}}}
}

func editA(p, old, new string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_EditFile{EditFile: &airlockv1.EditFile{Path: p, OldText: old, NewText: new}}}
}

func deleteA(p string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_DeleteFile{DeleteFile: &airlockv1.DeleteFile{Path: p}}}
}

func moveA(from, to string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_MoveFile{MoveFile: &airlockv1.MoveFile{FromPath: from, ToPath: to}}}
}

func mkdirA(p string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_MakeDir{MakeDir: &airlockv1.MakeDir{Path: p}}}
}

func listA(p string, recursive bool) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_ListDir{ListDir: &airlockv1.ListDir{Path: p, Recursive: recursive}}}
}

func patchA(p string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_ApplyPatch{ApplyPatch: &airlockv1.ApplyPatch{Patch: p}}}
}

const todoPatch = `--- a/notes/patchme.txt
+++ b/notes/patchme.txt
@@ -1,3 +1,3 @@
 one
-two
+TWO
 three
`

const deployPatch = `--- a/deploy/service.yaml
+++ b/deploy/service.yaml
@@ -1 +1 @@
-replicas: 3
+replicas: 5
`

// TestActionKinds drives every action kind through allow, deny and escalate
// with the example policies, and checks the workspace after each.
func TestActionKinds(t *testing.T) {
	e := startEnv(t, envOpts{})
	cases := []struct {
		name   string
		ws     string
		action *airlockv1.Action
		effect airlockv1.Effect
		status airlockv1.ActionStatus
		check  func(t *testing.T, rec *airlockv1.ActionRecord)
	}{
		{name: "read allowed", ws: "dev", action: readA("src/app.go"), effect: airlockv1.Effect_EFFECT_ALLOW,
			status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := string(rec.GetResult().GetReadFile().GetContent()); !strings.Contains(got, "func Hello") {
					t.Errorf("content = %q", got)
				}
			}},
		{name: "read secret denied", ws: "dev", action: readA(".env"), effect: airlockv1.Effect_EFFECT_DENY,
			status: airlockv1.ActionStatus_ACTION_STATUS_DENIED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if rec.GetResult() != nil {
					t.Errorf("a denied read returned a result")
				}
			}},
		{name: "write allowed in dev", ws: "dev", action: writeA("src/new.go", "package app\n"), effect: airlockv1.Effect_EFFECT_ALLOW,
			status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := e.read("src/new.go"); got != "package app\n" {
					t.Errorf("file = %q", got)
				}
				if !rec.GetResult().GetWriteFile().GetCreated() {
					t.Errorf("created = false")
				}
			}},
		{name: "write secret denied", ws: "dev", action: writeA(".env", "X=1\n"), effect: airlockv1.Effect_EFFECT_DENY,
			status: airlockv1.ActionStatus_ACTION_STATUS_DENIED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := e.read(".env"); got != "API_KEY=secret\n" {
					t.Errorf(".env changed: %q", got)
				}
			}},
		{name: "write outside src in prod denied", ws: "prod", action: writeA("README.md", "# x\n"), effect: airlockv1.Effect_EFFECT_DENY,
			status: airlockv1.ActionStatus_ACTION_STATUS_DENIED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := e.read("README.md"); got != "# demo\n" {
					t.Errorf("README changed: %q", got)
				}
			}},
		{name: "edit allowed", ws: "dev", action: editA("notes/todo.txt", "two", "2"), effect: airlockv1.Effect_EFFECT_ALLOW,
			status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := e.read("notes/todo.txt"); got != "one\n2\nthree\n" {
					t.Errorf("file = %q", got)
				}
				p := rec.GetPlan().GetPaths()[0]
				if p.GetLinesAdded() != 1 || p.GetLinesRemoved() != 1 || !strings.Contains(p.GetDiff(), "-two\n+2\n") {
					t.Errorf("plan = %+v", p)
				}
			}},
		{name: "edit deploy escalated", ws: "dev", action: editA("deploy/service.yaml", "3", "5"), effect: airlockv1.Effect_EFFECT_ESCALATE,
			status: airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := e.read("deploy/service.yaml"); got != "replicas: 3\n" {
					t.Errorf("escalated edit executed: %q", got)
				}
				ap := rec.GetDecision().GetApproval()
				if ap.GetApprovals() < 1 || len(ap.GetRoles()) == 0 || ap.GetTtlSeconds() == 0 {
					t.Errorf("approval = %+v", ap)
				}
			}},
		{name: "root-level file written in dev", ws: "dev", action: writeA("NOTES.md", "notes\n"), effect: airlockv1.Effect_EFFECT_ALLOW,
			status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if e.read("NOTES.md") != "notes\n" {
					t.Errorf("not written")
				}
			}},
		{name: "root-level manifest escalated", ws: "dev", action: editA("go.mod", "demo", "demo2"), effect: airlockv1.Effect_EFFECT_ESCALATE,
			status: airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if e.read("go.mod") != "module example.com/demo\n" {
					t.Errorf("escalated edit executed")
				}
			}},
		{name: "patch allowed", ws: "dev", action: patchA(todoPatch), effect: airlockv1.Effect_EFFECT_ALLOW,
			status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := e.read("notes/patchme.txt"); got != "one\nTWO\nthree\n" {
					t.Errorf("file = %q", got)
				}
			}},
		{name: "patch deploy escalated", ws: "dev", action: patchA(deployPatch), effect: airlockv1.Effect_EFFECT_ESCALATE,
			status: airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := e.read("deploy/service.yaml"); got != "replicas: 3\n" {
					t.Errorf("escalated patch executed: %q", got)
				}
			}},
		{name: "mkdir allowed", ws: "dev", action: mkdirA("src/pkg/deep"), effect: airlockv1.Effect_EFFECT_ALLOW,
			status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if st, err := os.Stat(filepath.Join(e.ws, "src/pkg/deep")); err != nil || !st.IsDir() {
					t.Errorf("dir missing: %v", err)
				}
			}},
		{name: "move allowed", ws: "dev", action: moveA("src/new.go", "src/moved.go"), effect: airlockv1.Effect_EFFECT_ALLOW,
			status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if e.read("src/new.go") != "<missing>" || e.read("src/moved.go") != "package app\n" {
					t.Errorf("move did not happen")
				}
			}},
		{name: "move secret denied", ws: "dev", action: moveA(".env", "src/env.txt"), effect: airlockv1.Effect_EFFECT_DENY,
			status: airlockv1.ActionStatus_ACTION_STATUS_DENIED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if e.read(".env") == "<missing>" {
					t.Errorf(".env moved")
				}
			}},
		{name: "delete allowed", ws: "dev", action: deleteA("src/moved.go"), effect: airlockv1.Effect_EFFECT_ALLOW,
			status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if e.read("src/moved.go") != "<missing>" {
					t.Errorf("not deleted")
				}
			}},
		{name: "delete deploy escalated", ws: "dev", action: deleteA("deploy/service.yaml"), effect: airlockv1.Effect_EFFECT_ESCALATE,
			status: airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if e.read("deploy/service.yaml") == "<missing>" {
					t.Errorf("escalated delete executed")
				}
			}},
		{name: "list allowed", ws: "dev", action: listA("", true), effect: airlockv1.Effect_EFFECT_ALLOW,
			status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				var paths []string
				for _, en := range rec.GetResult().GetListDir().GetEntries() {
					paths = append(paths, en.GetPath())
				}
				if !strings.Contains(strings.Join(paths, ","), "src/app.go") {
					t.Errorf("entries = %v", paths)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := e.submit(tc.ws, tc.action)
			if err != nil {
				t.Fatalf("submit: %v", err)
			}
			if got := rec.GetDecision().GetEffect(); got != tc.effect {
				t.Fatalf("effect = %v, want %v (reasons %v)", got, tc.effect, rec.GetDecision().GetReasons())
			}
			if got := rec.GetStatus(); got != tc.status {
				t.Fatalf("status = %v, want %v (failure %v)", got, tc.status, rec.GetFailure())
			}
			if tc.effect != airlockv1.Effect_EFFECT_ALLOW && len(rec.GetDecision().GetReasons()) == 0 {
				t.Errorf("a %v decision carries no reasons", tc.effect)
			}
			if rec.GetDecision().GetPolicyRevision() == "" || rec.GetPlan().GetDigest() == "" || rec.GetActionId() == "" {
				t.Errorf("record lacks revision, digest or id: %v", rec)
			}
			tc.check(t, rec)
			got, err := e.agent.Agent.GetAction(context.Background(), &airlockv1.GetActionRequest{ActionId: rec.GetActionId()})
			if err != nil {
				t.Fatalf("GetAction: %v", err)
			}
			if got.GetAction().GetStatus() != tc.status {
				t.Errorf("GetAction status = %v, want %v", got.GetAction().GetStatus(), tc.status)
			}
		})
	}
}

// TestEvaluateExecutesNothing checks the dry run.
func TestEvaluateExecutesNothing(t *testing.T) {
	e := startEnv(t, envOpts{})
	resp, err := e.agent.Agent.Evaluate(context.Background(), &airlockv1.EvaluateRequest{Request: &airlockv1.ActionRequest{
		Workspace: "dev", Action: writeA("src/dry.go", "package app\n"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetDecision().GetEffect() != airlockv1.Effect_EFFECT_ALLOW {
		t.Fatalf("effect = %v", resp.GetDecision().GetEffect())
	}
	if resp.GetPlan().GetPaths()[0].GetOp() != "create" || resp.GetPlan().GetLinesAdded() != 1 {
		t.Errorf("plan = %v", resp.GetPlan())
	}
	if e.read("src/dry.go") != "<missing>" {
		t.Errorf("Evaluate wrote the file")
	}
}

// TestErrors checks codes and reasons for requests that are wrong whatever
// the policy says.
func TestErrors(t *testing.T) {
	e := startEnv(t, envOpts{})
	cases := []struct {
		name   string
		ws     string
		action *airlockv1.Action
		code   codes.Code
		reason string
		meta   map[string]string
	}{
		{"unknown workspace", "nope", readA("x"), codes.NotFound, "ERROR_REASON_WORKSPACE_NOT_FOUND", nil},
		{"dotdot escape", "dev", readA("../outside.txt"), codes.InvalidArgument, "ERROR_REASON_WORKSPACE_ESCAPE", nil},
		{"nested dotdot escape", "dev", writeA("src/../../outside.txt", "x"), codes.InvalidArgument, "ERROR_REASON_WORKSPACE_ESCAPE", nil},
		{"absolute path", "dev", readA("/etc/passwd"), codes.InvalidArgument, "", nil},
		{"NUL in path", "dev", readA("src/a\x00b"), codes.InvalidArgument, "", nil},
		{"very long path", "dev", readA(strings.Repeat("a/", 2100)), codes.InvalidArgument, "", nil},
		{"missing action", "dev", &airlockv1.Action{}, codes.InvalidArgument, "ERROR_REASON_INVALID_REQUEST", nil},
		{"bad expected_sha256", "dev", &airlockv1.Action{Kind: &airlockv1.Action_WriteFile{WriteFile: &airlockv1.WriteFile{Path: "src/x", ExpectedSha256: "zz"}}}, codes.InvalidArgument, "ERROR_REASON_INVALID_REQUEST", nil},
		{"edit no match", "dev", editA("src/app.go", "no such text", "x"), codes.FailedPrecondition, "ERROR_REASON_EDIT_MISMATCH", map[string]string{"matches": "0"}},
		{"edit ambiguous", "dev", editA("notes/todo.txt", "o", "0"), codes.FailedPrecondition, "ERROR_REASON_EDIT_MISMATCH", map[string]string{"matches": "2"}},
		{"read missing file", "dev", readA("src/missing.go"), codes.NotFound, "ERROR_REASON_FILE_NOT_FOUND", nil},
		{"read a directory", "dev", readA("src"), codes.FailedPrecondition, "ERROR_REASON_WRONG_FILE_TYPE", nil},
		{"patch garbage", "dev", patchA("this is not a diff"), codes.InvalidArgument, "ERROR_REASON_PATCH_INVALID", nil},
		{"patch conflict", "dev", patchA("--- a/src/app.go\n+++ b/src/app.go\n@@ -1 +1 @@\n-package other\n+package app2\n"), codes.FailedPrecondition, "ERROR_REASON_PATCH_CONFLICT", nil},
		{"delete root", "dev", deleteA("."), codes.InvalidArgument, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.submit(tc.ws, tc.action)
			if err == nil {
				t.Fatal("no error")
			}
			code, reason, meta := errInfo(t, err)
			if code != tc.code {
				t.Errorf("code = %v, want %v (%v)", code, tc.code, err)
			}
			if tc.reason != "" && reason != tc.reason {
				t.Errorf("reason = %q, want %q (%v)", reason, tc.reason, err)
			}
			for k, v := range tc.meta {
				if meta[k] != v {
					t.Errorf("metadata %s = %q, want %q", k, meta[k], v)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(e.dir, "outside.txt")); !os.IsNotExist(err) {
		t.Errorf("a file appeared outside the workspace: %v", err)
	}
}

func TestValidationFieldViolations(t *testing.T) {
	e := startEnv(t, envOpts{})
	_, err := e.agent.Agent.Submit(context.Background(), &airlockv1.SubmitRequest{Request: &airlockv1.ActionRequest{
		Workspace: "bad name!", Action: readA(""), Labels: map[string]string{"": "x"},
	}})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("code = %v", st.Code())
	}
	fields := map[string]bool{}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields[v.GetField()] = true
			}
		}
	}
	for _, want := range []string{"request.workspace", "request.action.read_file.path"} {
		if !fields[want] {
			t.Errorf("no field violation for %s; got %v", want, fields)
		}
	}
}

func TestAuthentication(t *testing.T) {
	e := startEnv(t, envOpts{})
	for _, tc := range []struct {
		name  string
		token string
	}{{"no token", ""}, {"unknown token", "wrong"}, {"hash instead of token", hashToken(agentToken)}} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.dial(tc.token)
			defer c.Close()
			_, err := c.Agent.Submit(context.Background(), &airlockv1.SubmitRequest{Request: &airlockv1.ActionRequest{Workspace: "dev", Action: readA("README.md")}})
			if code, reason, _ := errInfo(t, err); code != codes.Unauthenticated || reason != "ERROR_REASON_UNAUTHENTICATED" {
				t.Errorf("got %v %q", code, reason)
			}
		})
	}
}

// TestGetActionIsPrivate: another principal cannot see an agent's action.
func TestGetActionIsPrivate(t *testing.T) {
	e := startEnv(t, envOpts{})
	rec, err := e.submit("dev", readA("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.human.Agent.GetAction(context.Background(), &airlockv1.GetActionRequest{ActionId: rec.GetActionId()})
	if code, _, _ := errInfo(t, err); code != codes.NotFound {
		t.Errorf("alice reading agent's action: %v", err)
	}
}

func TestIdempotentRetry(t *testing.T) {
	e := startEnv(t, envOpts{})
	key := func(r *airlockv1.ActionRequest) { r.IdempotencyKey = "k-1" }
	// Appending through edit makes a double execution visible.
	first, err := e.submit("dev", editA("notes/todo.txt", "three\n", "three\nfour\n"), key)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	ids := make([]string, 8)
	errs := make([]error, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, err := e.submit("dev", editA("notes/todo.txt", "three\n", "three\nfour\n"), key)
			ids[i], errs[i] = rec.GetActionId(), err
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != first.GetActionId() {
			t.Errorf("retry %d: id %q err %v, want id %q", i, ids[i], errs[i], first.GetActionId())
		}
	}
	if got := e.read("notes/todo.txt"); got != "one\ntwo\nthree\nfour\n" {
		t.Errorf("file = %q: executed more than once", got)
	}
	_, err = e.submit("dev", writeA("notes/other.txt", "x"), key)
	if code, reason, _ := errInfo(t, err); code != codes.FailedPrecondition || reason != "ERROR_REASON_IDEMPOTENCY_MISMATCH" {
		t.Errorf("key reuse for another request: %v %q", code, reason)
	}
}

// TestFileChangedSinceRead: expected_sha256 protects against lost updates.
func TestExpectedSHA256(t *testing.T) {
	e := startEnv(t, envOpts{})
	rec, err := e.submit("dev", readA("notes/todo.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sum := rec.GetResult().GetReadFile().GetSha256()
	if err := os.WriteFile(filepath.Join(e.ws, "notes/todo.txt"), []byte("changed by someone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = e.submit("dev", &airlockv1.Action{Kind: &airlockv1.Action_WriteFile{WriteFile: &airlockv1.WriteFile{
		Path: "notes/todo.txt", Content: []byte("mine\n"), ExpectedSha256: sum}}})
	if code, reason, _ := errInfo(t, err); code != codes.FailedPrecondition || reason != "ERROR_REASON_FILE_CHANGED" {
		t.Errorf("got %v %q", code, reason)
	}
	if got := e.read("notes/todo.txt"); got != "changed by someone\n" {
		t.Errorf("lost update: %q", got)
	}
}

// TestSymlinkAndHardLinkEscapes goes through the whole API.
func TestSymlinkAndHardLinkEscapes(t *testing.T) {
	e := startEnv(t, envOpts{})
	outside := filepath.Join(e.dir, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(outside, filepath.Join(e.ws, "src/linkdir")))
	must(os.Symlink(secret, filepath.Join(e.ws, "src/linkfile")))
	must(os.Link(secret, filepath.Join(e.ws, "src/hardlink")))
	must(os.Symlink("loop2", filepath.Join(e.ws, "src/loop1")))
	must(os.Symlink("loop1", filepath.Join(e.ws, "src/loop2")))
	for _, tc := range []struct {
		name   string
		action *airlockv1.Action
	}{
		{"write through symlinked dir", writeA("src/linkdir/secret.txt", "pwned\n")},
		{"create through symlinked dir", writeA("src/linkdir/new.txt", "pwned\n")},
		{"read through symlinked dir", readA("src/linkdir/secret.txt")},
		{"write through symlinked file", writeA("src/linkfile", "pwned\n")},
		{"read symlinked file", readA("src/linkfile")},
		{"edit hard link", editA("src/hardlink", "outside", "pwned")},
		{"write hard link", writeA("src/hardlink", "pwned\n")},
		{"delete hard link", deleteA("src/hardlink")},
		{"symlink loop", readA("src/loop1/x")},
		{"directory where file expected", writeA("src", "x")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := e.submit("dev", tc.action)
			if err == nil && rec.GetStatus() == airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
				if rf := rec.GetResult().GetReadFile(); rf != nil && strings.Contains(string(rf.GetContent()), "outside") {
					t.Fatalf("read outside content: %q", rf.GetContent())
				}
				if rec.GetResult().GetReadFile() == nil {
					t.Fatalf("succeeded: %v", rec)
				}
			}
		})
	}
	if raw, _ := os.ReadFile(secret); string(raw) != "outside\n" {
		t.Errorf("outside file changed: %q", raw)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("outside dir has %d entries", len(entries))
	}
}

// TestAuditRecordsEveryRequest: decided and executed events reach the log
// with their stable fields, and the chain verifies.
func TestAuditRecordsEveryRequest(t *testing.T) {
	e := startEnv(t, envOpts{})
	rec, err := e.submit("dev", writeA("src/audited.go", "package app\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.submit("dev", readA("../x")); err == nil {
		t.Fatal("escape accepted")
	}
	types := map[string]int{}
	for _, entry := range e.logs.FilterMessage("audit").All() {
		m := entry.ContextMap()
		if m["action_id"] == rec.GetActionId() {
			types[m["type"].(string)]++
			if m["content"] != nil {
				t.Errorf("content in audit log")
			}
		} else {
			types["other:"+m["type"].(string)]++
		}
	}
	if types["action.received"] != 1 || types["action.decided"] != 1 || types["action.executed"] != 1 || types["other:action.rejected_input"] != 1 {
		t.Errorf("audit events = %v", types)
	}
}

// TestDeniedPlanRevealsNothing: a denied write to a secret must not hand
// the agent the secret's current content through the plan's diff, nor its
// hash or size, whether it asks through Submit, Evaluate or GetAction.
func TestDeniedPlanRevealsNothing(t *testing.T) {
	e := startEnv(t, envOpts{})
	leaks := func(t *testing.T, m proto.Message) {
		t.Helper()
		raw, err := protojson.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"API_KEY", "=secret", files.SHA256Hex([]byte("API_KEY=secret\n"))} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("response contains %q: %s", secret, raw)
			}
		}
	}
	for _, a := range []*airlockv1.Action{writeA(".env", "X=1\n"), editA(".env", "API_KEY", "K"), deleteA(".env")} {
		rec, err := e.submit("dev", a)
		if err != nil {
			t.Fatal(err)
		}
		if rec.GetDecision().GetEffect() != airlockv1.Effect_EFFECT_DENY {
			t.Fatalf("effect %v", rec.GetDecision().GetEffect())
		}
		leaks(t, rec)
		got, err := e.agent.Agent.GetAction(context.Background(), &airlockv1.GetActionRequest{ActionId: rec.GetActionId()})
		if err != nil {
			t.Fatal(err)
		}
		leaks(t, got)
		ev, err := e.agent.Agent.Evaluate(context.Background(), &airlockv1.EvaluateRequest{Request: &airlockv1.ActionRequest{Workspace: "dev", Action: a}})
		if err != nil {
			t.Fatal(err)
		}
		leaks(t, ev)
	}
}

// TestStoreKeepsContentOnlyForEscalations: what an agent wrote or tried to
// write stays in the store only while an approval may still execute it.
func TestStoreKeepsContentOnlyForEscalations(t *testing.T) {
	e := startEnv(t, envOpts{})
	ctx := context.Background()
	denied, err := e.submit("dev", writeA(".env", "TOKEN=TOPSECRET-1\n"))
	if err != nil {
		t.Fatal(err)
	}
	allowed, err := e.submit("dev", writeA("src/cfg.go", "package app // TOPSECRET-2\n"))
	if err != nil {
		t.Fatal(err)
	}
	pending, err := e.submit("dev", writeA("deploy/new.yaml", "token: TOPSECRET-3\n"))
	if err != nil || pending.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL {
		t.Fatalf("%v %v", pending.GetStatus(), err)
	}
	for _, tc := range []struct {
		id, secret string
		kept       bool
	}{{denied.GetActionId(), "TOPSECRET-1", false}, {allowed.GetActionId(), "TOPSECRET-2", false}, {pending.GetActionId(), "TOPSECRET-3", true}} {
		a, err := e.app.Store.GetAction(ctx, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		// Content is stored base64-encoded inside the request JSON, and as
		// text in a plan's diff.
		has := strings.Contains(string(a.Request), `"content":`) || strings.Contains(string(a.Record), tc.secret)
		if has != tc.kept {
			t.Errorf("action %s: content kept = %v, want %v", tc.id, has, tc.kept)
		}
	}
}
