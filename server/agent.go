package server

import (
	"context"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/pipeline"
)

// AgentService serves the agent API over the pipeline.
type AgentService struct {
	airlockv1.UnimplementedAgentServiceServer
	s *Server
}

var _ airlockv1.AgentServiceServer = (*AgentService)(nil)

// Submit decides and then executes or escalates one action. A denial is a
// normal response; an execution failure is an error carrying its reason and
// the action id.
func (a *AgentService) Submit(ctx context.Context, req *airlockv1.SubmitRequest) (*airlockv1.SubmitResponse, error) {
	rec, err := a.s.pipe.Submit(ctx, toRequest(principalFrom(ctx), req.GetRequest()))
	if err != nil {
		return nil, toStatus(a.s.log, err)
	}
	return &airlockv1.SubmitResponse{Action: toRecord(rec)}, nil
}

// Evaluate is Submit's dry run.
func (a *AgentService) Evaluate(ctx context.Context, req *airlockv1.EvaluateRequest) (*airlockv1.EvaluateResponse, error) {
	d, pl, err := a.s.pipe.Evaluate(ctx, toRequest(principalFrom(ctx), req.GetRequest()))
	if err != nil {
		return nil, toStatus(a.s.log, err)
	}
	dr := pipeline.DecisionRecord{Effect: d.Effect, Reasons: d.Reasons, Revision: d.Revision, Approval: d.Approval, Sandbox: d.Sandbox}
	return &airlockv1.EvaluateResponse{Decision: toDecision(dr), Plan: toPlan(&pl.Facts)}, nil
}

// GetAction returns one of the caller's actions.
func (a *AgentService) GetAction(ctx context.Context, req *airlockv1.GetActionRequest) (*airlockv1.GetActionResponse, error) {
	rec, err := a.s.pipe.Get(ctx, principalFrom(ctx), req.GetActionId())
	if err != nil {
		return nil, toStatus(a.s.log, err)
	}
	return &airlockv1.GetActionResponse{Action: toRecord(rec)}, nil
}
