package server

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc/status"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/pipeline"
	"github.com/airlock-dev/airlock/plan"
	"github.com/airlock-dev/airlock/policy"
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
	return &airlockv1.SubmitResponse{Action: redactForAgent(toRecord(rec))}, nil
}

// Evaluate is Submit's dry run.
func (a *AgentService) Evaluate(ctx context.Context, req *airlockv1.EvaluateRequest) (*airlockv1.EvaluateResponse, error) {
	d, pl, err := a.s.pipe.Evaluate(ctx, toRequest(principalFrom(ctx), req.GetRequest()))
	if err != nil {
		return nil, toStatus(a.s.log, err)
	}
	dr := pipeline.DecisionRecord{Effect: d.Effect, Reasons: d.Reasons, Revision: d.Revision, Approval: d.Approval, Sandbox: d.Sandbox}
	out := &airlockv1.EvaluateResponse{Decision: toDecision(dr), Plan: toPlan(&pl.Facts)}
	if d.Effect != policy.Allow {
		redactPlan(out.Plan)
	}
	return out, nil
}

// GetAction returns one of the caller's actions.
func (a *AgentService) GetAction(ctx context.Context, req *airlockv1.GetActionRequest) (*airlockv1.GetActionResponse, error) {
	rec, err := a.s.pipe.Get(ctx, principalFrom(ctx), req.GetActionId())
	if err != nil {
		return nil, toStatus(a.s.log, err)
	}
	return &airlockv1.GetActionResponse{Action: redactForAgent(toRecord(rec))}, nil
}

// watchPoll is the safety poll under change notifications, which are
// prompt but best effort.
const watchPoll = 2 * time.Second

// WatchAction streams the action's state until it is final.
func (a *AgentService) WatchAction(req *airlockv1.WatchActionRequest, stream airlockv1.AgentService_WatchActionServer) error {
	ctx := stream.Context()
	who := principalFrom(ctx)
	// Subscribe before the first read so that no change falls between them.
	changes, err := a.s.store.Subscribe(ctx)
	if err != nil {
		return toStatus(a.s.log, unavailableErr(err))
	}
	var last *pipeline.Record
	send := func() (done bool, err error) {
		rec, err := a.s.pipe.Get(ctx, who, req.GetActionId())
		if err != nil {
			return true, toStatus(a.s.log, err)
		}
		if last == nil || rec.Status != last.Status || !rec.UpdatedAt.Equal(last.UpdatedAt) {
			if err := stream.Send(&airlockv1.WatchActionResponse{Action: redactForAgent(toRecord(rec))}); err != nil {
				return true, err
			}
			last = rec
		}
		return rec.Status.Final(), nil
	}
	if done, err := send(); done {
		return err
	}
	poll := time.NewTicker(watchPoll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case id, ok := <-changes:
			if !ok {
				return status.FromContextError(ctx.Err()).Err()
			}
			if id != req.GetActionId() {
				continue
			}
		case <-poll.C:
		}
		if done, err := send(); done {
			return err
		}
	}
}

func unavailableErr(err error) error {
	return &pipeline.Error{Reason: pipeline.ReasonStoreUnavailable, Msg: "the store is unavailable", Err: err}
}

// SubmitStream is Submit with the decision sent first and a command's
// output streamed as it is produced.
func (a *AgentService) SubmitStream(req *airlockv1.SubmitStreamRequest, stream airlockv1.AgentService_SubmitStreamServer) error {
	ctx := stream.Context()
	r := toRequest(principalFrom(ctx), req.GetRequest())
	// gRPC streams are not safe for concurrent Send; stdout and stderr
	// arrive from different goroutines.
	var mu sync.Mutex
	var sendErr error
	send := func(m *airlockv1.SubmitStreamResponse) {
		mu.Lock()
		defer mu.Unlock()
		if sendErr == nil {
			sendErr = stream.Send(m)
		}
	}
	if r.Action.Kind == plan.Exec {
		r.OnDecided = func(rec *pipeline.Record) {
			send(&airlockv1.SubmitStreamResponse{Event: &airlockv1.SubmitStreamResponse_Action{Action: redactForAgent(toRecord(rec))}})
		}
		r.Stdout = chunkWriter{"stdout", send}
		r.Stderr = chunkWriter{"stderr", send}
	}
	rec, err := a.s.pipe.Submit(ctx, r)
	if err != nil {
		return toStatus(a.s.log, err)
	}
	send(&airlockv1.SubmitStreamResponse{Event: &airlockv1.SubmitStreamResponse_Action{Action: redactForAgent(toRecord(rec))}})
	mu.Lock()
	defer mu.Unlock()
	return sendErr
}

// chunkWriter forwards output to the stream. A failed send (the client went
// away) does not stop the command; its output is still captured.
type chunkWriter struct {
	stream string
	send   func(*airlockv1.SubmitStreamResponse)
}

func (w chunkWriter) Write(p []byte) (int, error) {
	data := append([]byte(nil), p...)
	w.send(&airlockv1.SubmitStreamResponse{Event: &airlockv1.SubmitStreamResponse_Output{Output: &airlockv1.OutputChunk{Stream: w.stream, Data: data}}})
	return len(p), nil
}
