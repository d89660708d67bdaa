package server

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/airlock-dev/airlock/approval"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/plan"
	"github.com/airlock-dev/airlock/store"
)

// ApprovalService serves approvers over the approval workflow.
type ApprovalService struct {
	airlockv1.UnimplementedApprovalServiceServer
	s *Server
}

var _ airlockv1.ApprovalServiceServer = (*ApprovalService)(nil)

// ListPending lists pending escalations, oldest first.
func (a *ApprovalService) ListPending(ctx context.Context, req *airlockv1.ListPendingRequest) (*airlockv1.ListPendingResponse, error) {
	views, err := a.s.approvals.ListPending(ctx, principalFrom(ctx), approval.Filter{
		Workspace: req.GetWorkspace(), Requester: req.GetRequester(),
		MinAge: time.Duration(req.GetMinAgeSeconds()) * time.Second, Limit: int(req.GetPageSize()),
	})
	if err != nil {
		return nil, toStatus(a.s.log, err)
	}
	out := &airlockv1.ListPendingResponse{}
	for _, v := range views {
		out.Approvals = append(out.Approvals, toApproval(v))
	}
	return out, nil
}

// GetApproval shows one escalated action in full.
func (a *ApprovalService) GetApproval(ctx context.Context, req *airlockv1.GetApprovalRequest) (*airlockv1.GetApprovalResponse, error) {
	v, err := a.s.approvals.Get(ctx, principalFrom(ctx), req.GetActionId())
	if err != nil {
		return nil, toStatus(a.s.log, err)
	}
	return &airlockv1.GetApprovalResponse{Approval: toApproval(v)}, nil
}

// Approve votes to approve; the last needed vote executes the action.
func (a *ApprovalService) Approve(ctx context.Context, req *airlockv1.ApproveRequest) (*airlockv1.ApproveResponse, error) {
	v, err := a.s.approvals.Vote(ctx, principalFrom(ctx), req.GetActionId(), store.VoteApprove, req.GetComment(), req.GetDigest())
	if err != nil {
		return nil, toStatus(a.s.log, err)
	}
	return &airlockv1.ApproveResponse{Approval: toApproval(v)}, nil
}

// Reject votes to reject, which ends the action.
func (a *ApprovalService) Reject(ctx context.Context, req *airlockv1.RejectRequest) (*airlockv1.RejectResponse, error) {
	v, err := a.s.approvals.Vote(ctx, principalFrom(ctx), req.GetActionId(), store.VoteReject, req.GetComment(), "")
	if err != nil {
		return nil, toStatus(a.s.log, err)
	}
	return &airlockv1.RejectResponse{Approval: toApproval(v)}, nil
}

// WatchApprovals streams the pending escalations, then every change to an
// escalated action.
func (a *ApprovalService) WatchApprovals(req *airlockv1.WatchApprovalsRequest, stream airlockv1.ApprovalService_WatchApprovalsServer) error {
	ctx := stream.Context()
	who := principalFrom(ctx)
	changes, err := a.s.store.Subscribe(ctx)
	if err != nil {
		return toStatus(a.s.log, unavailableErr(err))
	}
	pending, err := a.s.approvals.ListPending(ctx, who, approval.Filter{Workspace: req.GetWorkspace(), Limit: 1000})
	if err != nil {
		return toStatus(a.s.log, err)
	}
	for _, v := range pending {
		if err := stream.Send(&airlockv1.WatchApprovalsResponse{Approval: toApproval(v)}); err != nil {
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case id, ok := <-changes:
			if !ok {
				return nil
			}
			v, err := a.s.approvals.Get(ctx, who, id)
			if err != nil || (req.GetWorkspace() != "" && v.Record.Workspace != req.GetWorkspace()) {
				continue // not an escalation, or not this workspace
			}
			if err := stream.Send(&airlockv1.WatchApprovalsResponse{Approval: toApproval(v)}); err != nil {
				return err
			}
		}
	}
}

func toApproval(v *approval.View) *airlockv1.Approval {
	req := v.Requirement()
	out := &airlockv1.Approval{
		Action:           toRecord(v.Record),
		Requested:        fromAction(&v.Requested),
		OnBehalfOf:       v.Record.OnBehalfOf,
		Requirement:      &airlockv1.ApprovalRequirement{Roles: req.Roles, Approvals: uint32(req.Approvals), TtlSeconds: uint32(req.TTLSeconds)},
		CanVote:          v.CanVote,
		CannotVoteReason: v.Why,
	}
	if !v.Record.ExpiresAt.IsZero() {
		out.ExpiresAt = timestamppb.New(v.Record.ExpiresAt)
	}
	for _, vt := range v.Votes {
		kind := airlockv1.VoteKind_VOTE_KIND_APPROVE
		if vt.Kind == store.VoteReject {
			kind = airlockv1.VoteKind_VOTE_KIND_REJECT
		}
		out.Votes = append(out.Votes, &airlockv1.Vote{Principal: vt.Principal, Kind: kind, Comment: vt.Comment, CreatedAt: timestamppb.New(vt.CreatedAt)})
	}
	return out
}

// fromAction is toAction's inverse, for showing approvers the request.
func fromAction(a *plan.Action) *airlockv1.Action {
	switch a.Kind {
	case plan.ReadFile:
		return &airlockv1.Action{Kind: &airlockv1.Action_ReadFile{ReadFile: &airlockv1.ReadFile{Path: a.Path, Offset: a.Offset, Limit: a.Limit}}}
	case plan.WriteFile:
		return &airlockv1.Action{Kind: &airlockv1.Action_WriteFile{WriteFile: &airlockv1.WriteFile{Path: a.Path, Content: a.Content,
			Mode: a.Mode, CreateOnly: a.CreateOnly, ExpectedSha256: a.ExpectedSHA256}}}
	case plan.EditFile:
		return &airlockv1.Action{Kind: &airlockv1.Action_EditFile{EditFile: &airlockv1.EditFile{Path: a.Path, OldText: a.OldText,
			NewText: a.NewText, ReplaceAll: a.ReplaceAll, ExpectedSha256: a.ExpectedSHA256}}}
	case plan.DeleteFile:
		return &airlockv1.Action{Kind: &airlockv1.Action_DeleteFile{DeleteFile: &airlockv1.DeleteFile{Path: a.Path, ExpectedSha256: a.ExpectedSHA256}}}
	case plan.MoveFile:
		return &airlockv1.Action{Kind: &airlockv1.Action_MoveFile{MoveFile: &airlockv1.MoveFile{FromPath: a.Path, ToPath: a.ToPath, Overwrite: a.Overwrite}}}
	case plan.MakeDir:
		return &airlockv1.Action{Kind: &airlockv1.Action_MakeDir{MakeDir: &airlockv1.MakeDir{Path: a.Path}}}
	case plan.ListDir:
		return &airlockv1.Action{Kind: &airlockv1.Action_ListDir{ListDir: &airlockv1.ListDir{Path: a.Path, Recursive: a.Recursive,
			MaxDepth: uint32(a.MaxDepth), MaxEntries: uint32(a.MaxEntries)}}}
	case plan.ApplyPatch:
		return &airlockv1.Action{Kind: &airlockv1.Action_ApplyPatch{ApplyPatch: &airlockv1.ApplyPatch{Patch: a.Patch}}}
	case plan.Exec:
		return &airlockv1.Action{Kind: &airlockv1.Action_Exec{Exec: &airlockv1.Exec{Argv: a.Argv, Script: a.Script, Shell: a.Shell,
			Cwd: a.Cwd, Env: a.Env, Stdin: a.Stdin, TimeoutMs: a.TimeoutMS}}}
	}
	return nil
}
