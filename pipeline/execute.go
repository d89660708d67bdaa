package pipeline

import (
	"context"
	"io"
	"time"

	"github.com/airlock-dev/airlock/plan"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/sandbox"
	"github.com/airlock-dev/airlock/sandbox/files"
)

// execute carries out a planned action. File changes are bound to the
// hashes the plan observed, so a file changed since planning fails with
// FILE_CHANGED instead of being overwritten.
func (p *Pipeline) execute(ctx context.Context, ws *Workspace, pl *plan.Plan, req *Request, d policy.Decision) (*Result, error) {
	a := &req.Action
	if pl.Deferred != nil {
		return nil, pl.Deferred
	}
	r := ws.Root
	path := pl.Action.Path
	switch a.Kind {
	case plan.ReadFile:
		limit := a.Limit
		if limit == 0 || limit > p.d.Limits.MaxReadBytes {
			limit = p.d.Limits.MaxReadBytes
		}
		res, err := r.Read(path, a.Offset, limit)
		if err != nil {
			return nil, err
		}
		return &Result{Read: &res}, nil
	case plan.WriteFile:
		c := pl.Changes[0]
		res, err := r.Write(c.Path, c.Content, files.WriteOptions{
			Mode: c.Mode, CreateOnly: a.CreateOnly, ExpectedSHA256: c.ExpectedSHA256, ExpectAbsent: c.Op == "create",
		})
		if err != nil {
			return nil, err
		}
		return &Result{Write: &res}, nil
	case plan.EditFile:
		c := pl.Changes[0]
		res, err := r.Write(c.Path, c.Content, files.WriteOptions{ExpectedSHA256: c.ExpectedSHA256})
		if err != nil {
			return nil, err
		}
		return &Result{Edit: &EditResult{SHA256: res.SHA256, Replacements: pl.Replacements}}, nil
	case plan.DeleteFile:
		if err := r.Delete(path, pl.Observed[path]); err != nil {
			return nil, err
		}
		return &Result{Delete: &struct{}{}}, nil
	case plan.MoveFile:
		if err := r.Move(pl.Action.Path, pl.Action.ToPath, a.Overwrite); err != nil {
			return nil, err
		}
		return &Result{Move: &struct{}{}}, nil
	case plan.MakeDir:
		created, err := r.MakeDir(path)
		if err != nil {
			return nil, err
		}
		return &Result{MakeDir: &MakeDirResult{Created: created}}, nil
	case plan.ListDir:
		entries, truncated, err := r.List(path, a.Recursive, a.MaxDepth, a.MaxEntries)
		if err != nil {
			return nil, err
		}
		return &Result{List: &ListResult{Entries: entries, Truncated: truncated}}, nil
	case plan.ApplyPatch:
		if err := r.Commit(pl.Changes); err != nil {
			return nil, err
		}
		out := &PatchResult{Files: make([]PatchedFile, len(pl.Changes))}
		for i, c := range pl.Changes {
			out.Files[i] = PatchedFile{Path: c.Path, Op: c.Op}
			if c.Op != "delete" {
				out.Files[i].SHA256 = files.SHA256Hex(c.Content)
			}
		}
		return &Result{Patch: out}, nil
	case plan.Exec:
		return p.run(ctx, ws, pl, a, d, req.Stdout, req.Stderr)
	}
	return nil, &Error{Reason: ReasonInvalidRequest, Msg: "unknown action kind"}
}

// run executes a command in the sandbox with the limits the policy granted,
// never more than the configured maximum.
func (p *Pipeline) run(ctx context.Context, ws *Workspace, pl *plan.Plan, a *plan.Action, d policy.Decision, out, errOut io.Writer) (*Result, error) {
	argv := a.Argv
	if a.Script != "" {
		sh := "/bin/sh"
		if a.Shell == "bash" {
			sh = "/bin/bash"
		}
		argv = []string{sh, "-c", a.Script}
	}
	spec := sandbox.Spec{
		Workspace: ws.Root.Dir(), Cwd: pl.Action.Cwd, Argv: argv, Env: a.Env, Stdin: a.Stdin,
		Timeout: time.Duration(a.TimeoutMS) * time.Millisecond, Stdout: out, Stderr: errOut,
	}
	if g := d.Sandbox; g != nil {
		spec.Network = g.Network
		if g.TimeoutMS > 0 && (spec.Timeout == 0 || time.Duration(g.TimeoutMS)*time.Millisecond < spec.Timeout) {
			spec.Timeout = time.Duration(g.TimeoutMS) * time.Millisecond
		}
		spec.OutputLimit = int64(g.OutputLimitBytes)
	}
	var res *sandbox.Result
	var err error
	if p.d.SandboxPool != nil {
		res, err = p.d.SandboxPool.Run(ctx, spec)
	} else {
		res, err = sandbox.Run(ctx, p.d.Sandbox, spec)
	}
	if err != nil {
		p.d.Metrics.SandboxFailure()
		return nil, &Error{Reason: ReasonSandboxUnavailable, Msg: "the command sandbox could not start", Err: err}
	}
	return &Result{Exec: &ExecResult{
		ExitCode: res.ExitCode, Signal: res.Signal, TimedOut: res.TimedOut, Stdout: res.Stdout, Stderr: res.Stderr,
		StdoutBytes: res.StdoutBytes, StderrBytes: res.StderrBytes, Truncated: res.Truncated,
		Duration: res.Duration, Layers: res.Layers,
	}}, nil
}

// summary is the audit's view of a result: hashes and sizes, never content.
func (r *Result) summary() map[string]any {
	switch {
	case r.Read != nil:
		return map[string]any{"size": r.Read.Size, "sha256": r.Read.SHA256, "bytes": len(r.Read.Content), "truncated": r.Read.Truncated}
	case r.Write != nil:
		return map[string]any{"size": r.Write.Size, "sha256": r.Write.SHA256, "created": r.Write.Created}
	case r.Edit != nil:
		return map[string]any{"sha256": r.Edit.SHA256, "replacements": r.Edit.Replacements}
	case r.MakeDir != nil:
		return map[string]any{"created": r.MakeDir.Created}
	case r.List != nil:
		return map[string]any{"entries": len(r.List.Entries), "truncated": r.List.Truncated}
	case r.Patch != nil:
		return map[string]any{"files": len(r.Patch.Files)}
	case r.Exec != nil:
		return map[string]any{"exit_code": r.Exec.ExitCode, "signal": r.Exec.Signal, "timed_out": r.Exec.TimedOut,
			"stdout_bytes": r.Exec.StdoutBytes, "stderr_bytes": r.Exec.StderrBytes, "layers": r.Exec.Layers,
			"duration_ms": ms(r.Exec.Duration)}
	}
	return map[string]any{}
}
