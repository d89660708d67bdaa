package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	client "github.com/airlock-dev/airlock/clients/go"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// The inputs of the tools. A field without omitempty is required; the
// jsonschema tag is the description the model reads.

const (
	intentDoc = "Why you want this, in a sentence; the policy and human approvers see it."
	waitDoc   = "If the policy escalates this to human approvers: true (the default) waits for their decision; false returns at once with an action_id for await_approval."
	shaDoc    = "Optional: the file's SHA-256 (lowercase hex) from your last read_file; the change happens only if the file still has it."
)

type readFileIn struct {
	Path   string `json:"path" jsonschema:"File path relative to the workspace root, with forward slashes (e.g. src/main.go)."`
	Offset int64  `json:"offset,omitempty" jsonschema:"Byte offset to start reading at (default 0). Use it to continue a truncated read."`
	Limit  int64  `json:"limit,omitempty" jsonschema:"Maximum bytes to return (default: the server's read limit)."`
	Intent string `json:"intent,omitempty" jsonschema:"Why you want this, in a sentence; the policy and human approvers see it."`
}

type writeFileIn struct {
	Path           string `json:"path" jsonschema:"File path relative to the workspace root. Missing parent directories are created."`
	Content        string `json:"content" jsonschema:"The complete new content of the file (UTF-8 text)."`
	CreateOnly     bool   `json:"create_only,omitempty" jsonschema:"Fail instead of replacing an existing file."`
	ExpectedSHA256 string `json:"expected_sha256,omitempty" jsonschema:"Optional: the file's SHA-256 (lowercase hex) from your last read_file; the change happens only if the file still has it."`
	Intent         string `json:"intent,omitempty" jsonschema:"Why you want this, in a sentence; the policy and human approvers see it."`
	Wait           *bool  `json:"wait,omitempty" jsonschema:"If the policy escalates this to human approvers: true (the default) waits for their decision; false returns at once with an action_id for await_approval."`
}

type editFileIn struct {
	Path           string `json:"path" jsonschema:"File path relative to the workspace root."`
	OldText        string `json:"old_text" jsonschema:"The exact text to replace, byte for byte including whitespace and indentation. It must occur exactly once unless replace_all is true; include surrounding lines to make it unique."`
	NewText        string `json:"new_text" jsonschema:"The text to put in its place."`
	ReplaceAll     bool   `json:"replace_all,omitempty" jsonschema:"Replace every occurrence of old_text instead of requiring exactly one."`
	ExpectedSHA256 string `json:"expected_sha256,omitempty" jsonschema:"Optional: the file's SHA-256 (lowercase hex) from your last read_file; the change happens only if the file still has it."`
	Intent         string `json:"intent,omitempty" jsonschema:"Why you want this, in a sentence; the policy and human approvers see it."`
	Wait           *bool  `json:"wait,omitempty" jsonschema:"If the policy escalates this to human approvers: true (the default) waits for their decision; false returns at once with an action_id for await_approval."`
}

type deleteFileIn struct {
	Path           string `json:"path" jsonschema:"Path of the file, symbolic link or empty directory to remove, relative to the workspace root."`
	ExpectedSHA256 string `json:"expected_sha256,omitempty" jsonschema:"Optional: the file's SHA-256 (lowercase hex) from your last read_file; the change happens only if the file still has it."`
	Intent         string `json:"intent,omitempty" jsonschema:"Why you want this, in a sentence; the policy and human approvers see it."`
	Wait           *bool  `json:"wait,omitempty" jsonschema:"If the policy escalates this to human approvers: true (the default) waits for their decision; false returns at once with an action_id for await_approval."`
}

type moveFileIn struct {
	From      string `json:"from" jsonschema:"Existing path, relative to the workspace root."`
	To        string `json:"to" jsonschema:"New path, relative to the workspace root. Missing parent directories are created."`
	Overwrite bool   `json:"overwrite,omitempty" jsonschema:"Replace an existing file at the destination instead of failing."`
	Intent    string `json:"intent,omitempty" jsonschema:"Why you want this, in a sentence; the policy and human approvers see it."`
	Wait      *bool  `json:"wait,omitempty" jsonschema:"If the policy escalates this to human approvers: true (the default) waits for their decision; false returns at once with an action_id for await_approval."`
}

type listDirIn struct {
	Path       string `json:"path,omitempty" jsonschema:"Directory relative to the workspace root; empty or . for the root."`
	Recursive  bool   `json:"recursive,omitempty" jsonschema:"List subdirectories too (symbolic links are listed, never followed)."`
	MaxDepth   uint32 `json:"max_depth,omitempty" jsonschema:"With recursive: how many levels (1 = only this directory; default: the server's)."`
	MaxEntries uint32 `json:"max_entries,omitempty" jsonschema:"Maximum entries to return (default: the server's)."`
	Intent     string `json:"intent,omitempty" jsonschema:"Why you want this, in a sentence; the policy and human approvers see it."`
}

type applyPatchIn struct {
	Patch  string `json:"patch" jsonschema:"A unified diff (as from diff -u or git diff) for one or more files. Every hunk must match the current content exactly, with context lines; if any hunk fails nothing changes. Paths may carry a/ and b/ prefixes; /dev/null creates or deletes a file."`
	Intent string `json:"intent,omitempty" jsonschema:"Why you want this, in a sentence; the policy and human approvers see it."`
	Wait   *bool  `json:"wait,omitempty" jsonschema:"If the policy escalates this to human approvers: true (the default) waits for their decision; false returns at once with an action_id for await_approval."`
}

type runCommandIn struct {
	Argv           []string          `json:"argv,omitempty" jsonschema:"The program and its arguments, run directly without a shell, e.g. [\"go\", \"test\", \"./...\"]. Give either argv or script."`
	Script         string            `json:"script,omitempty" jsonschema:"A shell script (pipes, &&, redirections allowed), e.g. \"go vet ./... && go test ./...\". Give either argv or script. Write command names literally: the policy judges the parsed commands."`
	Shell          string            `json:"shell,omitempty" jsonschema:"The shell for script: sh (default) or bash."`
	Cwd            string            `json:"cwd,omitempty" jsonschema:"Working directory relative to the workspace root (default: the root)."`
	Env            map[string]string `json:"env,omitempty" jsonschema:"Extra environment variables. The command gets no other environment from the host."`
	Stdin          string            `json:"stdin,omitempty" jsonschema:"Text given to the command's standard input."`
	TimeoutSeconds uint32            `json:"timeout_seconds,omitempty" jsonschema:"Requested time limit in seconds; the policy may cap it."`
	Intent         string            `json:"intent,omitempty" jsonschema:"Why you want this, in a sentence; the policy and human approvers see it."`
	Wait           *bool             `json:"wait,omitempty" jsonschema:"If the policy escalates this to human approvers: true (the default) waits for their decision; false returns at once with an action_id for await_approval."`
}

type actionIDIn struct {
	ActionID string `json:"action_id" jsonschema:"The action_id an escalated call returned."`
}

type awaitIn struct {
	ActionID       string `json:"action_id" jsonschema:"The action_id an escalated call returned."`
	TimeoutSeconds uint32 `json:"timeout_seconds,omitempty" jsonschema:"How long to wait at most (default and maximum: the bridge's await timeout)."`
}

func ptr[T any](v T) *T { return &v }

// addTools registers every tool with annotations that describe it honestly:
// clients use them to decide what to confirm with the user.
func (b *bridge) addTools(s *sdk.Server) error {
	closed := ptr(false) // Airlock acts only inside its workspace
	readOnly := &sdk.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: closed}
	var errs []error
	add := func(err error) { errs = append(errs, err) }

	add(addTool(s, &sdk.Tool{Name: "read_file", Title: "Read a file",
		Description: "Read a text file in the workspace, through Airlock's policy. Returns the content; says when the file is binary or the answer was cut (then call again with offset). Also gives the file's sha256 for expected_sha256.",
		Annotations: readOnly}, minimums("offset", "limit"),
		func(ctx context.Context, req *sdk.CallToolRequest, in readFileIn) *sdk.CallToolResult {
			a := client.ReadFileAction(in.Path)
			a.GetReadFile().Offset, a.GetReadFile().Limit = in.Offset, in.Limit
			return b.submit(ctx, req, a, in.Intent, ptr(true), func(r *airlockv1.ActionRecord) *sdk.CallToolResult { return renderRead(r, in.Offset) })
		}))

	add(addTool(s, &sdk.Tool{Name: "write_file", Title: "Write a file",
		Description: "Create a file or replace its whole content, through Airlock's policy. Prefer edit_file for changes to part of an existing file.",
		Annotations: &sdk.ToolAnnotations{DestructiveHint: ptr(true), IdempotentHint: true, OpenWorldHint: closed}}, nil,
		func(ctx context.Context, req *sdk.CallToolRequest, in writeFileIn) *sdk.CallToolResult {
			a := client.WriteFileAction(in.Path, []byte(in.Content))
			a.GetWriteFile().CreateOnly, a.GetWriteFile().ExpectedSha256 = in.CreateOnly, in.ExpectedSHA256
			return b.submit(ctx, req, a, in.Intent, in.Wait, render)
		}))

	add(addTool(s, &sdk.Tool{Name: "edit_file", Title: "Edit a file",
		Description: "Replace exact text in an existing text file, through Airlock's policy. old_text must match the file byte for byte and occur exactly once (or set replace_all). Returns the diff.",
		Annotations: &sdk.ToolAnnotations{DestructiveHint: ptr(true), OpenWorldHint: closed}}, nil,
		func(ctx context.Context, req *sdk.CallToolRequest, in editFileIn) *sdk.CallToolResult {
			a := client.EditFileAction(in.Path, in.OldText, in.NewText)
			a.GetEditFile().ReplaceAll, a.GetEditFile().ExpectedSha256 = in.ReplaceAll, in.ExpectedSHA256
			return b.submit(ctx, req, a, in.Intent, in.Wait, render)
		}))

	add(addTool(s, &sdk.Tool{Name: "delete_file", Title: "Delete a file",
		Description: "Delete a file, a symbolic link (not its target) or an empty directory, through Airlock's policy.",
		Annotations: &sdk.ToolAnnotations{DestructiveHint: ptr(true), IdempotentHint: true, OpenWorldHint: closed}}, nil,
		func(ctx context.Context, req *sdk.CallToolRequest, in deleteFileIn) *sdk.CallToolResult {
			a := client.DeleteFileAction(in.Path)
			a.GetDeleteFile().ExpectedSha256 = in.ExpectedSHA256
			return b.submit(ctx, req, a, in.Intent, in.Wait, render)
		}))

	add(addTool(s, &sdk.Tool{Name: "move_file", Title: "Move or rename",
		Description: "Move or rename a file or directory inside the workspace, through Airlock's policy.",
		Annotations: &sdk.ToolAnnotations{DestructiveHint: ptr(true), OpenWorldHint: closed}}, nil,
		func(ctx context.Context, req *sdk.CallToolRequest, in moveFileIn) *sdk.CallToolResult {
			a := client.MoveFileAction(in.From, in.To)
			a.GetMoveFile().Overwrite = in.Overwrite
			return b.submit(ctx, req, a, in.Intent, in.Wait, render)
		}))

	add(addTool(s, &sdk.Tool{Name: "list_dir", Title: "List a directory",
		Description: "List a directory in the workspace (optionally recursive), through Airlock's policy. Entries are sorted by path.",
		Annotations: readOnly}, nil,
		func(ctx context.Context, req *sdk.CallToolRequest, in listDirIn) *sdk.CallToolResult {
			a := client.ListDirAction(in.Path)
			l := a.GetListDir()
			l.Recursive, l.MaxDepth, l.MaxEntries = in.Recursive, in.MaxDepth, in.MaxEntries
			return b.submit(ctx, req, a, in.Intent, ptr(true), render)
		}))

	add(addTool(s, &sdk.Tool{Name: "apply_patch", Title: "Apply a patch",
		Description: "Apply a unified diff to one or more files, all or nothing, through Airlock's policy. Good for changes across several files.",
		Annotations: &sdk.ToolAnnotations{DestructiveHint: ptr(true), OpenWorldHint: closed}}, nil,
		func(ctx context.Context, req *sdk.CallToolRequest, in applyPatchIn) *sdk.CallToolResult {
			return b.submit(ctx, req, client.ApplyPatchAction(in.Patch), in.Intent, in.Wait, render)
		}))

	add(addTool(s, &sdk.Tool{Name: "run_command", Title: "Run a command",
		Description: "Run a command in Airlock's sandbox in the workspace (no network unless the policy grants it, time and output limits), through Airlock's policy. Give argv for one program, or script for a shell script. Returns the exit code, stdout and stderr; a non-zero exit is reported as an error.",
		Annotations: &sdk.ToolAnnotations{DestructiveHint: ptr(true)}}, runCommandSchema,
		func(ctx context.Context, req *sdk.CallToolRequest, in runCommandIn) *sdk.CallToolResult {
			if (len(in.Argv) > 0) == (in.Script != "") {
				return toolError("Invalid arguments: give exactly one of argv (a program and its arguments) or script (a shell script).")
			}
			var a *airlockv1.Action
			if len(in.Argv) > 0 {
				a = client.ExecAction(in.Argv)
			} else {
				a = client.ScriptAction(in.Script)
			}
			e := a.GetExec()
			e.Shell, e.Cwd, e.Env, e.Stdin = in.Shell, in.Cwd, in.Env, []byte(in.Stdin)
			e.TimeoutMs = uint32(min(uint64(in.TimeoutSeconds)*1000, uint64(^uint32(0))))
			return b.submit(ctx, req, a, in.Intent, in.Wait, render)
		}))

	add(addTool(s, &sdk.Tool{Name: "approval_status", Title: "Check an escalated action",
		Description: "Show where an action stands (pending approval, executed with its result, rejected, expired...), without waiting.",
		Annotations: readOnly}, nil,
		func(ctx context.Context, _ *sdk.CallToolRequest, in actionIDIn) *sdk.CallToolResult {
			rec, err := b.c.Get(ctx, in.ActionID)
			if err != nil {
				return b.errorResult(err)
			}
			if client.IsPending(rec) {
				return pendingResult(rec, "")
			}
			return finalResult(rec, render)
		}))

	add(addTool(s, &sdk.Tool{Name: "await_approval", Title: "Wait for approvers",
		Description: "Wait until human approvers decide an escalated action, then return its outcome (the result if it was approved and executed). Sends progress notifications while waiting.",
		Annotations: readOnly}, nil,
		func(ctx context.Context, req *sdk.CallToolRequest, in awaitIn) *sdk.CallToolResult {
			limit := b.conf.AwaitTimeout
			if in.TimeoutSeconds > 0 {
				limit = min(limit, time.Duration(in.TimeoutSeconds)*time.Second)
			}
			rec, err := b.c.Get(ctx, in.ActionID)
			if err != nil {
				return b.errorResult(err)
			}
			if !client.IsPending(rec) && client.IsFinal(rec.GetStatus()) {
				return finalResult(rec, render)
			}
			return b.wait(ctx, req, rec, limit, render)
		}))
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// addTool registers a tool whose input schema is inferred from In and then
// adjusted by tweak. Its handler never fails at the protocol level: every
// outcome is a result the model can read.
func addTool[In any](s *sdk.Server, t *sdk.Tool, tweak func(*jsonschema.Schema), h func(context.Context, *sdk.CallToolRequest, In) *sdk.CallToolResult) error {
	schema, err := jsonschema.For[In](nil)
	if err != nil {
		return fmt.Errorf("tool %s: %w", t.Name, err)
	}
	if w := schema.Properties["wait"]; w != nil {
		// A plain boolean with a default, not ["null","boolean"]: some
		// clients reject type lists, and the SDK fills in the default.
		w.Types, w.Type, w.Default = nil, "boolean", json.RawMessage("true")
	}
	if tweak != nil {
		tweak(schema)
	}
	t.InputSchema = schema
	sdk.AddTool(s, t, func(ctx context.Context, req *sdk.CallToolRequest, in In) (*sdk.CallToolResult, any, error) {
		return h(ctx, req, in), nil, nil
	})
	return nil
}

// minimums makes the named integer properties non-negative.
func minimums(names ...string) func(*jsonschema.Schema) {
	return func(s *jsonschema.Schema) {
		for _, n := range names {
			if p := s.Properties[n]; p != nil {
				p.Minimum = ptr(0.0)
			}
		}
	}
}

func runCommandSchema(s *jsonschema.Schema) {
	if p := s.Properties["shell"]; p != nil {
		p.Enum = []any{"sh", "bash"}
	}
}
