package server

import (
	"io/fs"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/airlock-dev/airlock/auth"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/pipeline"
	"github.com/airlock-dev/airlock/plan"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/store"
)

// toRequest maps a validated API request to the pipeline's request.
func toRequest(who *auth.Principal, r *airlockv1.ActionRequest) *pipeline.Request {
	return &pipeline.Request{
		Principal: who, Workspace: r.GetWorkspace(), Action: toAction(r.GetAction()),
		Intent: r.GetIntent(), SessionID: r.GetSessionId(), Labels: r.GetLabels(),
		IdempotencyKey: r.GetIdempotencyKey(),
	}
}

func toAction(a *airlockv1.Action) plan.Action {
	switch k := a.GetKind().(type) {
	case *airlockv1.Action_ReadFile:
		return plan.Action{Kind: plan.ReadFile, Path: k.ReadFile.GetPath(), Offset: k.ReadFile.GetOffset(), Limit: k.ReadFile.GetLimit()}
	case *airlockv1.Action_WriteFile:
		w := k.WriteFile
		return plan.Action{Kind: plan.WriteFile, Path: w.GetPath(), Content: w.GetContent(), Mode: w.GetMode(),
			CreateOnly: w.GetCreateOnly(), ExpectedSHA256: w.GetExpectedSha256()}
	case *airlockv1.Action_EditFile:
		e := k.EditFile
		return plan.Action{Kind: plan.EditFile, Path: e.GetPath(), OldText: e.GetOldText(), NewText: e.GetNewText(),
			ReplaceAll: e.GetReplaceAll(), ExpectedSHA256: e.GetExpectedSha256()}
	case *airlockv1.Action_DeleteFile:
		return plan.Action{Kind: plan.DeleteFile, Path: k.DeleteFile.GetPath(), ExpectedSHA256: k.DeleteFile.GetExpectedSha256()}
	case *airlockv1.Action_MoveFile:
		m := k.MoveFile
		return plan.Action{Kind: plan.MoveFile, Path: m.GetFromPath(), ToPath: m.GetToPath(), Overwrite: m.GetOverwrite()}
	case *airlockv1.Action_MakeDir:
		return plan.Action{Kind: plan.MakeDir, Path: k.MakeDir.GetPath()}
	case *airlockv1.Action_ListDir:
		l := k.ListDir
		return plan.Action{Kind: plan.ListDir, Path: l.GetPath(), Recursive: l.GetRecursive(),
			MaxDepth: int(l.GetMaxDepth()), MaxEntries: int(l.GetMaxEntries())}
	case *airlockv1.Action_ApplyPatch:
		return plan.Action{Kind: plan.ApplyPatch, Patch: k.ApplyPatch.GetPatch()}
	case *airlockv1.Action_Exec:
		x := k.Exec
		return plan.Action{Kind: plan.Exec, Argv: x.GetArgv(), Script: x.GetScript(), Shell: x.GetShell(),
			Cwd: x.GetCwd(), Env: x.GetEnv(), Stdin: x.GetStdin(), TimeoutMS: x.GetTimeoutMs()}
	}
	return plan.Action{}
}

var effects = map[policy.Effect]airlockv1.Effect{
	policy.Allow:    airlockv1.Effect_EFFECT_ALLOW,
	policy.Deny:     airlockv1.Effect_EFFECT_DENY,
	policy.Escalate: airlockv1.Effect_EFFECT_ESCALATE,
}

var statuses = map[store.Status]airlockv1.ActionStatus{
	store.StatusRunning:         airlockv1.ActionStatus_ACTION_STATUS_RUNNING,
	store.StatusSucceeded:       airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED,
	store.StatusFailed:          airlockv1.ActionStatus_ACTION_STATUS_FAILED,
	store.StatusDenied:          airlockv1.ActionStatus_ACTION_STATUS_DENIED,
	store.StatusPendingApproval: airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL,
	store.StatusRejected:        airlockv1.ActionStatus_ACTION_STATUS_REJECTED,
	store.StatusExpired:         airlockv1.ActionStatus_ACTION_STATUS_EXPIRED,
	store.StatusStale:           airlockv1.ActionStatus_ACTION_STATUS_STALE,
	store.StatusInterrupted:     airlockv1.ActionStatus_ACTION_STATUS_INTERRUPTED,
}

func toDecision(d pipeline.DecisionRecord) *airlockv1.Decision {
	out := &airlockv1.Decision{Effect: effects[d.Effect], PolicyRevision: d.Revision}
	for _, r := range d.Reasons {
		out.Reasons = append(out.Reasons, &airlockv1.DecisionReason{RuleId: r.RuleID, Message: r.Message, Effect: effects[r.Effect]})
	}
	if a := d.Approval; a != nil {
		out.Approval = &airlockv1.ApprovalRequirement{Roles: a.Roles, Approvals: uint32(a.Approvals), TtlSeconds: uint32(a.TTLSeconds)}
	}
	if s := d.Sandbox; s != nil {
		out.Sandbox = &airlockv1.SandboxGrant{Network: s.Network, TimeoutMs: s.TimeoutMS, OutputLimitBytes: s.OutputLimitBytes}
	}
	return out
}

func toPlan(p *policy.Plan) *airlockv1.Plan {
	out := &airlockv1.Plan{Digest: p.Digest, FilesChanged: uint32(p.FilesChanged),
		LinesAdded: uint32(p.LinesAdded), LinesRemoved: uint32(p.LinesRemoved)}
	for _, pp := range p.Paths {
		out.Paths = append(out.Paths, &airlockv1.PlannedPath{
			Path: pp.Path, Op: pp.Op, Exists: pp.Exists, IsDir: pp.IsDir, Size: pp.Size, Sha256: pp.SHA256,
			Binary: pp.Binary, LinesAdded: uint32(pp.LinesAdded), LinesRemoved: uint32(pp.LinesRemoved),
			Diff: pp.Diff, DiffTruncated: pp.DiffTruncated,
		})
	}
	if c := p.Command; c != nil {
		cp := &airlockv1.CommandPlan{Dynamic: c.Dynamic, Cwd: c.Cwd}
		for _, sc := range c.Commands {
			pc := &airlockv1.SimpleCommand{Argv: sc.Argv, Literal: sc.Literal, Op: sc.Op, WrappedBy: sc.WrappedBy}
			for _, r := range sc.Redirects {
				pc.Redirects = append(pc.Redirects, &airlockv1.Redirect{Op: r.Op, Target: r.Target, Path: r.Path, Outside: r.Outside})
			}
			cp.Commands = append(cp.Commands, pc)
		}
		out.Command = cp
	}
	return out
}

func toRecord(r *pipeline.Record) *airlockv1.ActionRecord {
	out := &airlockv1.ActionRecord{
		ActionId: r.ID, Status: statuses[r.Status], Workspace: r.Workspace, Principal: r.Principal,
		SessionId: r.SessionID, Kind: r.Kind, Intent: r.Intent, Decision: toDecision(r.Decision),
		Plan: toPlan(&r.Plan), CreatedAt: timestamppb.New(r.CreatedAt), UpdatedAt: timestamppb.New(r.UpdatedAt),
	}
	if r.Recheck != nil {
		out.Recheck = toDecision(*r.Recheck)
	}
	if !r.ExpiresAt.IsZero() {
		out.ExpiresAt = timestamppb.New(r.ExpiresAt)
	}
	if r.Failure != nil {
		out.Failure = &airlockv1.ActionFailure{Reason: "ERROR_REASON_" + string(r.Failure.Reason), Message: r.Failure.Message}
	}
	if r.Result != nil {
		out.Result = toResult(r.Result)
	}
	return out
}

func toResult(r *pipeline.Result) *airlockv1.ActionResult {
	switch {
	case r.Read != nil:
		return &airlockv1.ActionResult{Kind: &airlockv1.ActionResult_ReadFile{ReadFile: &airlockv1.ReadFileResult{
			Content: r.Read.Content, Size: r.Read.Size, Sha256: r.Read.SHA256, Truncated: r.Read.Truncated}}}
	case r.Write != nil:
		return &airlockv1.ActionResult{Kind: &airlockv1.ActionResult_WriteFile{WriteFile: &airlockv1.WriteFileResult{
			Sha256: r.Write.SHA256, Size: r.Write.Size, Created: r.Write.Created}}}
	case r.Edit != nil:
		return &airlockv1.ActionResult{Kind: &airlockv1.ActionResult_EditFile{EditFile: &airlockv1.EditFileResult{
			Sha256: r.Edit.SHA256, Replacements: uint32(r.Edit.Replacements)}}}
	case r.Delete != nil:
		return &airlockv1.ActionResult{Kind: &airlockv1.ActionResult_DeleteFile{DeleteFile: &airlockv1.DeleteFileResult{}}}
	case r.Move != nil:
		return &airlockv1.ActionResult{Kind: &airlockv1.ActionResult_MoveFile{MoveFile: &airlockv1.MoveFileResult{}}}
	case r.MakeDir != nil:
		return &airlockv1.ActionResult{Kind: &airlockv1.ActionResult_MakeDir{MakeDir: &airlockv1.MakeDirResult{Created: r.MakeDir.Created}}}
	case r.List != nil:
		l := &airlockv1.ListDirResult{Truncated: r.List.Truncated}
		for _, e := range r.List.Entries {
			l.Entries = append(l.Entries, &airlockv1.DirEntry{Path: e.Path, Type: e.Type, Size: e.Size, Mode: uint32(e.Mode & fs.ModePerm)})
		}
		return &airlockv1.ActionResult{Kind: &airlockv1.ActionResult_ListDir{ListDir: l}}
	case r.Patch != nil:
		p := &airlockv1.ApplyPatchResult{}
		for _, f := range r.Patch.Files {
			p.Files = append(p.Files, &airlockv1.PatchedFile{Path: f.Path, Op: f.Op, Sha256: f.SHA256})
		}
		return &airlockv1.ActionResult{Kind: &airlockv1.ActionResult_ApplyPatch{ApplyPatch: p}}
	case r.Exec != nil:
		x := r.Exec
		return &airlockv1.ActionResult{Kind: &airlockv1.ActionResult_Exec{Exec: &airlockv1.ExecResult{
			ExitCode: int32(x.ExitCode), Signal: x.Signal, TimedOut: x.TimedOut, Stdout: x.Stdout, Stderr: x.Stderr,
			StdoutBytes: uint64(x.StdoutBytes), StderrBytes: uint64(x.StderrBytes), Truncated: x.Truncated,
			DurationMs: uint32(x.Duration.Milliseconds()), Layers: x.Layers}}}
	}
	return nil
}

// redactForAgent strips what a plan says about the workspace's current
// content (existence, size, hash, diff, line counts) unless the policy
// allowed the action: a denied or escalated agent must learn nothing about
// files it may not touch (a denied write to .env would otherwise return the
// secret's old lines in the diff). Approvers and auditors see the full plan
// through their own services.
func redactForAgent(r *airlockv1.ActionRecord) *airlockv1.ActionRecord {
	if r.GetDecision().GetEffect() == airlockv1.Effect_EFFECT_ALLOW {
		return r
	}
	redactPlan(r.GetPlan())
	return r
}

func redactPlan(p *airlockv1.Plan) {
	if p == nil {
		return
	}
	p.LinesAdded, p.LinesRemoved, p.FilesChanged = 0, 0, 0
	for i, pp := range p.GetPaths() {
		p.Paths[i] = &airlockv1.PlannedPath{Path: pp.GetPath(), Op: pp.GetOp()}
	}
}
