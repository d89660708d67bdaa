package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"go.uber.org/zap"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/airlock-dev/airlock/auth"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/pipeline"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/store"
)

// policyRoles may operate the policy. Evaluating a recorded action shows
// its paths and intent, and a reload changes what every agent may do, so
// this is not for every human.
var policyRoles = []string{"policy-admin", "admin"}

// maxInputBytes bounds a hand-written input document; real inputs are a
// few kilobytes, plans with diffs a few hundred.
const maxInputBytes = 4 << 20

// PolicyService serves platform teams over the live and shadow policies.
// It maps requests to the policy engine and back; it decides nothing
// itself and never executes or records an action.
type PolicyService struct {
	airlockv1.UnimplementedPolicyServiceServer
	s *Server
}

var _ airlockv1.PolicyServiceServer = (*PolicyService)(nil)

func (p *PolicyService) authorize(ctx context.Context) (*auth.Principal, error) {
	who := principalFrom(ctx)
	if who == nil || who.Kind != auth.KindHuman || !who.HasRole(policyRoles...) {
		return nil, toStatus(p.s.log, &pipeline.Error{Reason: pipeline.ReasonPermissionDenied,
			Msg: "operating the policy needs a human principal with the policy-admin or admin role"})
	}
	if p.s.engine == nil {
		return nil, toStatus(p.s.log, &pipeline.Error{Reason: pipeline.ReasonInternal, Msg: "internal error",
			Err: errors.New("policy service: no engine wired")})
	}
	return who, nil
}

// GetStatus reports the live and shadow revisions and the last reload.
func (p *PolicyService) GetStatus(ctx context.Context, _ *airlockv1.GetStatusRequest) (*airlockv1.GetStatusResponse, error) {
	if _, err := p.authorize(ctx); err != nil {
		return nil, err
	}
	st := p.s.engine.Status()
	out := &airlockv1.GetStatusResponse{Live: toRevision(st.Live), AuditOnlyWorkspaces: p.auditOnly()}
	if st.LastError != nil {
		out.LastError = st.LastError.Error()
	}
	if !st.LastAttempt.IsZero() {
		out.LastAttempt = timestamppb.New(st.LastAttempt)
	}
	if p.s.shadow != nil {
		out.Shadow = toRevision(p.s.shadow.Status().Live)
	}
	return out, nil
}

// auditOnly lists the audit-only workspaces when the pipeline can tell.
func (p *PolicyService) auditOnly() []string {
	ao, ok := any(p.s.pipe).(interface{ AuditOnlyWorkspaces() []string })
	if !ok || p.s.pipe == nil {
		return nil
	}
	ws := ao.AuditOnlyWorkspaces()
	sort.Strings(ws)
	return ws
}

// EvaluatePolicy decides an input document or a recorded action's input.
func (p *PolicyService) EvaluatePolicy(ctx context.Context, req *airlockv1.EvaluatePolicyRequest) (*airlockv1.EvaluatePolicyResponse, error) {
	if _, err := p.authorize(ctx); err != nil {
		return nil, err
	}
	in, err := p.inputOf(ctx, req)
	if err != nil {
		return nil, toStatus(p.s.log, err)
	}
	out := &airlockv1.EvaluatePolicyResponse{}
	var d policy.Decision
	if req.GetExplain() {
		d, out.Explanation = p.s.engine.Explain(ctx, in)
	} else {
		d = p.s.engine.Decide(ctx, in)
	}
	out.Decision = toDecision(recordOf(d))
	if p.s.shadow != nil {
		out.Shadow = toDecision(recordOf(p.s.shadow.Decide(ctx, in)))
	}
	if out.Input, err = inputStruct(in); err != nil {
		return nil, toStatus(p.s.log, &pipeline.Error{Reason: pipeline.ReasonInternal, Msg: "internal error", Err: err})
	}
	return out, nil
}

func (p *PolicyService) inputOf(ctx context.Context, req *airlockv1.EvaluatePolicyRequest) (*policy.Input, error) {
	if id := req.GetActionId(); id != "" {
		a, err := p.s.store.GetAction(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, &pipeline.Error{Reason: pipeline.ReasonActionNotFound, Msg: "no such action", ActionID: id}
		case err != nil:
			return nil, unavailableErr(err)
		}
		in, err := pipeline.RecordedInput(a)
		if err != nil {
			return nil, &pipeline.Error{Reason: pipeline.ReasonInternal, Msg: "internal error", ActionID: id, Err: err}
		}
		return in, nil
	}
	raw, err := protojson.Marshal(req.GetInput())
	if err != nil || len(raw) > maxInputBytes {
		return nil, &pipeline.Error{Reason: pipeline.ReasonInvalidRequest, Msg: "input: not a JSON object of at most 4 MiB", Err: err}
	}
	return decodeInput(raw)
}

// decodeInput reads an input document strictly: a misspelt field would
// otherwise be dropped silently and the policy judge a different action
// than the author meant.
func decodeInput(raw []byte) (*policy.Input, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in policy.Input
	if err := dec.Decode(&in); err != nil {
		return nil, &pipeline.Error{Reason: pipeline.ReasonInvalidRequest,
			Msg: "input: " + strings.TrimPrefix(err.Error(), "json: ") + " (docs/POLICY.md lists the fields)"}
	}
	if in.Version == 0 {
		in.Version = policy.InputVersion
	}
	return &in, nil
}

// Reload loads the live policy (and the shadow one) again now. A refused
// revision is a normal answer carrying the error, not an RPC failure.
func (p *PolicyService) Reload(ctx context.Context, _ *airlockv1.ReloadRequest) (*airlockv1.ReloadResponse, error) {
	who, err := p.authorize(ctx)
	if err != nil {
		return nil, err
	}
	var errs []string
	if err := p.s.engine.Reload(ctx); err != nil {
		errs = append(errs, err.Error())
	}
	if p.s.shadow != nil {
		if err := p.s.shadow.Reload(ctx); err != nil {
			errs = append(errs, "shadow: "+err.Error())
		}
	}
	live := p.s.engine.Status().Live
	p.s.log.Info("policy reload requested",
		zap.String("principal", who.ID),
		zap.String("policy_revision", live.Revision),
		zap.Bool("refused", len(errs) > 0))
	return &airlockv1.ReloadResponse{Live: toRevision(live), Error: strings.Join(errs, "; ")}, nil
}

func toRevision(r policy.RevisionStatus) *airlockv1.PolicyRevision {
	out := &airlockv1.PolicyRevision{Revision: r.Revision, Source: r.Source, Warnings: r.Warnings}
	if !r.LoadedAt.IsZero() {
		out.LoadedAt = timestamppb.New(r.LoadedAt)
	}
	return out
}

func recordOf(d policy.Decision) pipeline.DecisionRecord {
	return pipeline.DecisionRecord{Effect: d.Effect, Reasons: d.Reasons, Revision: d.Revision, Approval: d.Approval, Sandbox: d.Sandbox}
}

func inputStruct(in *policy.Input) (*structpb.Struct, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	out := &structpb.Struct{}
	if err := protojson.Unmarshal(raw, out); err != nil {
		return nil, err
	}
	return out, nil
}
