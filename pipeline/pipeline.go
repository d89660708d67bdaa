package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/airlock-dev/airlock/audit"
	"github.com/airlock-dev/airlock/auth"
	"github.com/airlock-dev/airlock/metrics"
	"github.com/airlock-dev/airlock/plan"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/sandbox"
	"github.com/airlock-dev/airlock/sandbox/files"
	"github.com/airlock-dev/airlock/store"
)

// Workspace is a configured directory agents act in.
type Workspace struct {
	Name        string
	Environment string
	Labels      map[string]string
	Root        *files.Root
	// AuditOnly records decisions without enforcing them: would-be denials
	// and escalations are allowed, loudly (rollout of a new policy).
	AuditOnly bool
}

// Decider judges a policy input; *policy.Engine is the implementation.
type Decider interface {
	Decide(ctx context.Context, in *policy.Input) policy.Decision
}

// Deps are the parts a Pipeline joins.
type Deps struct {
	Decider    Decider
	Store      store.Store
	Audit      *audit.Recorder
	Log        *zap.Logger
	Workspaces []*Workspace
	Limits     files.Limits
	Sandbox    sandbox.Conf
	// SandboxPool, when set, runs commands on warm launchers (it holds its
	// own sandbox.Conf); nil starts a launcher per command with Sandbox.
	SandboxPool *sandbox.Pool
	// ReaderRoles may read any principal's actions (GetAction).
	ReaderRoles []string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Shadow, when set, is a candidate policy evaluated beside the enforced
	// one; differences are audited (policy.shadow_diff) and counted, never
	// enforced.
	Shadow Decider
	// ReplicaID names this server among replicas sharing a store; it owns
	// the actions it runs (see store.Action.Owner).
	ReplicaID string
	// Metrics records decisions and executions (nil: none).
	Metrics *metrics.Metrics
	// OnEscalate, when set, is told about each new pending action after it
	// is recorded (the approval webhook); it must not block.
	OnEscalate func(*Record)
}

// Pipeline carries actions from request to outcome. It is safe for
// concurrent use.
type Pipeline struct {
	d  Deps
	ws map[string]*Workspace
}

// New checks deps and builds a Pipeline.
func New(d Deps) (*Pipeline, error) {
	if d.Decider == nil || d.Store == nil || d.Audit == nil {
		return nil, errors.New("pipeline: decider, store and audit are required")
	}
	if d.Log == nil {
		d.Log = zap.NewNop()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	d.Limits = d.Limits.WithDefaults()
	p := &Pipeline{d: d, ws: make(map[string]*Workspace, len(d.Workspaces))}
	for _, w := range d.Workspaces {
		p.ws[w.Name] = w
	}
	return p, nil
}

// AuditOnlyWorkspaces names the workspaces that record decisions without
// enforcing them.
func (p *Pipeline) AuditOnlyWorkspaces() []string {
	var out []string
	for name, w := range p.ws {
		if w.AuditOnly {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Request is one action request from an authenticated principal.
type Request struct {
	Principal      *auth.Principal
	Workspace      string
	Action         plan.Action
	Intent         string
	SessionID      string
	Labels         map[string]string
	IdempotencyKey string

	// Stdout and Stderr, when set, receive a command's output as it is
	// produced (besides the capped capture in the result).
	Stdout, Stderr io.Writer
	// OnDecided, when set, is called with the record once the decision is
	// durably recorded and before anything executes.
	OnDecided func(*Record)
}

// Submit is the whole path of an action: plan, decide, record, then execute
// (allow), answer with reasons (deny) or leave pending (escalate). A
// returned *Error with a non-nil record means the action was decided and
// recorded but its execution failed.
func (p *Pipeline) Submit(ctx context.Context, req *Request) (*Record, error) {
	start := p.d.Now()
	id := newID()
	ev := p.baseEvent(id, req)

	// 1. Plan: refuse what no policy could make valid, before any policy.
	ws, pl, err := p.plan(req)
	if err != nil {
		return nil, p.refuse(ctx, ev, err)
	}
	ev.Environment, ev.Paths, ev.Digest = ws.Environment, pl.Facts.AllPaths, pl.Facts.Digest
	received := ev
	received.Type = audit.TypeActionReceived
	audit.LogOnly(p.d.Log, received)

	// 2. Decide.
	session := req.SessionID
	if session == "" {
		session = id
	}
	totals, err := p.d.Store.SessionTotals(ctx, req.Principal.ID, session)
	if err != nil {
		return nil, p.storeFailed(ev, err)
	}
	in := p.input(req, ws, pl, session, totals, start)
	d := p.d.Decider.Decide(ctx, in)
	p.d.Metrics.Decision(string(req.Action.Kind), ws.Name, string(d.Effect), p.d.Now().Sub(start))
	p.shadow(ctx, in, d, ev)
	would := d.Effect
	if ws.AuditOnly && d.Effect != policy.Allow {
		d = auditOnly(d)
		p.d.Log.Warn("audit-only workspace: a denied or escalated action is allowed",
			zap.String("action_id", id), zap.String("workspace", ws.Name), zap.String("would_effect", string(would)))
	}

	// 3. Record the decision durably before anything executes.
	rec := &Record{
		ID: id, Workspace: ws.Name, Principal: req.Principal.ID, SessionID: session,
		PrincipalKind: req.Principal.Kind, OnBehalfOf: req.Principal.OnBehalfOf, Environment: ws.Environment,
		Kind: string(req.Action.Kind), Intent: req.Intent, Decision: decisionRecord(d), Plan: pl.Facts,
		PolicyAction: pl.Action, Session: in.Session, WorkspaceLabels: ws.Labels,
		Status: statusOf(d.Effect), CreatedAt: start.UTC(), UpdatedAt: start.UTC(),
	}
	if d.Effect == policy.Escalate && d.Approval != nil {
		rec.ExpiresAt = start.Add(time.Duration(d.Approval.TTLSeconds) * time.Second).UTC()
	}
	reqDigest, stored, err := encodeRequest(req, d.Effect == policy.Escalate)
	if err != nil {
		return nil, p.internal(ev, err)
	}
	row := &store.Action{
		ID: id, Principal: req.Principal.ID, Workspace: ws.Name, SessionID: session, Kind: rec.Kind,
		IdempotencyKey: req.IdempotencyKey, RequestDigest: reqDigest, Status: rec.Status,
		Request: stored, Record: rec.encode(), CreatedAt: start, UpdatedAt: start, Owner: p.d.ReplicaID,
		ExpiresAt: rec.ExpiresAt,
	}
	existing, err := p.d.Store.CreateAction(ctx, row)
	if errors.Is(err, store.ErrDuplicate) {
		return p.replay(existing, reqDigest)
	}
	if err != nil {
		return nil, p.storeFailed(ev, err)
	}
	decided := ev
	decided.Type = audit.TypeActionDecided
	decided.Effect, decided.Reasons, decided.PolicyRevision = string(d.Effect), auditReasons(d.Reasons), d.Revision
	decided.DurationMS = ms(p.d.Now().Sub(start))
	if ws.AuditOnly {
		decided.Enforcement, decided.WouldEffect = "audit-only", string(would)
	}
	if err := p.d.Audit.Record(ctx, decided); err != nil {
		// Nothing runs without its decision on record.
		p.d.Metrics.AuditWriteError()
		p.abandon(id, rec, err)
		return nil, p.storeFailed(ev, err)
	}
	if d.Effect == policy.Escalate && p.d.OnEscalate != nil {
		p.d.OnEscalate(rec)
	}
	if req.OnDecided != nil {
		req.OnDecided(rec)
	}
	if d.Effect != policy.Allow {
		return rec, nil
	}

	// 4. Execute exactly what was planned, then record the outcome.
	execStart := p.d.Now()
	res, xerr := p.execute(ctx, ws, pl, req, d)
	rec.UpdatedAt = p.d.Now().UTC()
	done := ev
	done.DurationMS = ms(p.d.Now().Sub(execStart))
	var delta store.SessionDelta
	if xerr != nil {
		rec.Status, rec.Failure = store.StatusFailed, failure(xerr)
		done.Type, done.ErrorReason, done.ErrorMessage = audit.TypeActionFailed, string(rec.Failure.Reason), rec.Failure.Message
		if rec.Failure.Reason == ReasonInternal {
			p.d.Log.Error("action execution failed", zap.String("action_id", id), zap.Error(xerr))
		}
	} else {
		rec.Status, rec.Result = store.StatusSucceeded, res
		done.Type, done.Result = audit.TypeActionExecuted, res.summary()
		delta = store.SessionDelta{Actions: 1, FilesChanged: pl.Facts.FilesChanged, LinesChanged: pl.Facts.LinesAdded + pl.Facts.LinesRemoved}
	}
	p.d.Metrics.Execution(rec.Kind, ws.Name, string(rec.Status), p.d.Now().Sub(execStart))
	row.Status, row.Record, row.UpdatedAt = rec.Status, rec.encode(), rec.UpdatedAt
	if err := p.d.Store.UpdateAction(ctx, id, store.StatusRunning, row, delta); err != nil {
		// The action ran; its outcome is logged below and the row is
		// marked interrupted at the next start.
		p.d.Log.Error("storing action outcome failed", zap.String("action_id", id), zap.Error(err))
	}
	if err := p.d.Audit.Record(context.WithoutCancel(ctx), done); err != nil {
		p.d.Metrics.AuditWriteError()
		p.d.Log.Error("auditing action outcome failed", zap.String("action_id", id), zap.Error(err))
	}
	if xerr != nil {
		return rec, errorOf(id, rec.Failure)
	}
	return rec, nil
}

// Evaluate plans and decides without executing or recording anything but a
// log line.
func (p *Pipeline) Evaluate(ctx context.Context, req *Request) (policy.Decision, *plan.Plan, error) {
	start := p.d.Now()
	ws, pl, err := p.plan(req)
	if err != nil {
		return policy.Decision{}, nil, asError(err)
	}
	session := req.SessionID
	var totals store.SessionTotals
	if session != "" {
		if totals, err = p.d.Store.SessionTotals(ctx, req.Principal.ID, session); err != nil {
			return policy.Decision{}, nil, &Error{Reason: ReasonStoreUnavailable, Msg: "the store is unavailable", Err: err}
		}
	}
	d := p.d.Decider.Decide(ctx, p.input(req, ws, pl, session, totals, start))
	p.d.Log.Info("evaluate",
		zap.String("principal", req.Principal.ID), zap.String("workspace", ws.Name),
		zap.String("kind", string(req.Action.Kind)), zap.Strings("paths", pl.Facts.AllPaths),
		zap.String("digest", pl.Facts.Digest), zap.String("effect", string(d.Effect)),
		zap.String("policy_revision", d.Revision), zap.Float64("duration_ms", ms(p.d.Now().Sub(start))))
	return d, pl, nil
}

// Get returns an action the principal may see: its own, or any for a
// principal with a reader role. Others get ACTION_NOT_FOUND, never a hint
// that the id exists.
func (p *Pipeline) Get(ctx context.Context, who *auth.Principal, id string) (*Record, error) {
	a, err := p.d.Store.GetAction(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Principal != who.ID && !(who.Kind == auth.KindHuman && who.HasRole(p.d.ReaderRoles...))) {
		return nil, &Error{Reason: ReasonActionNotFound, Msg: "no such action"}
	}
	if err != nil {
		return nil, &Error{Reason: ReasonStoreUnavailable, Msg: "the store is unavailable", Err: err}
	}
	return decodeRecord(a)
}

func (p *Pipeline) plan(req *Request) (*Workspace, *plan.Plan, error) {
	ws, ok := p.ws[req.Workspace]
	if !ok {
		return nil, nil, &Error{Reason: ReasonWorkspaceNotFound, Msg: fmt.Sprintf("workspace %q is not configured", req.Workspace)}
	}
	pl, err := plan.Build(ws.Root, ws.Name, &req.Action, p.d.Limits)
	if err != nil {
		return nil, nil, err
	}
	return ws, pl, nil
}

func (p *Pipeline) input(req *Request, ws *Workspace, pl *plan.Plan, session string, t store.SessionTotals, now time.Time) *policy.Input {
	pr := req.Principal
	return &policy.Input{
		Version: policy.InputVersion,
		Action:  pl.Action,
		Plan:    pl.Facts,
		Principal: policy.Principal{
			ID: pr.ID, Kind: pr.Kind, Roles: nonNil(pr.Roles), OnBehalfOf: pr.OnBehalfOf,
		},
		Workspace: policy.Workspace{Name: ws.Name, Environment: ws.Environment, Labels: nonNilMap(ws.Labels)},
		Session:   policy.Session{ID: session, Actions: t.Actions, FilesChanged: t.FilesChanged, LinesChanged: t.LinesChanged},
		Request:   policy.Request{Intent: req.Intent, Labels: nonNilMap(req.Labels), Time: now.UTC().Format(time.RFC3339)},
	}
}

// replay answers an idempotent retry with the first outcome.
func (p *Pipeline) replay(existing *store.Action, reqDigest string) (*Record, error) {
	if existing.RequestDigest != reqDigest {
		return nil, &Error{Reason: ReasonIdempotencyMismatch, ActionID: existing.ID,
			Msg: "idempotency_key was already used for a different request"}
	}
	rec, err := decodeRecord(existing)
	if err != nil {
		return nil, err
	}
	if rec.Status == store.StatusFailed && rec.Failure != nil {
		return rec, errorOf(rec.ID, rec.Failure)
	}
	return rec, nil
}

// refuse records a request refused before policy and returns its error.
func (p *Pipeline) refuse(ctx context.Context, ev audit.Event, err error) error {
	e := asError(err)
	e.ActionID = ev.ActionID
	ev.Type, ev.ErrorReason, ev.ErrorMessage = audit.TypeActionRejectedInput, string(e.Reason), e.Msg
	if e.Reason == ReasonInternal {
		p.d.Log.Error("planning failed", zap.String("action_id", ev.ActionID), zap.Error(err))
	}
	if aerr := p.d.Audit.Record(ctx, ev); aerr != nil {
		return p.storeFailed(ev, aerr)
	}
	return e
}

func (p *Pipeline) storeFailed(ev audit.Event, err error) error {
	p.d.Log.Error("store or audit unavailable", zap.String("action_id", ev.ActionID), zap.Error(err))
	return &Error{Reason: ReasonStoreUnavailable, ActionID: ev.ActionID, Msg: "the action could not be recorded, so nothing was executed", Err: err}
}

func (p *Pipeline) internal(ev audit.Event, err error) error {
	p.d.Log.Error("internal error", zap.String("action_id", ev.ActionID), zap.Error(err))
	return &Error{Reason: ReasonInternal, ActionID: ev.ActionID, Msg: "internal error", Err: err}
}

// abandon marks a decided action failed when its decision could not be
// audited; best effort, since the store may be what failed.
func (p *Pipeline) abandon(id string, rec *Record, cause error) {
	from := rec.Status
	rec.Status = store.StatusFailed
	rec.Failure = &Failure{Reason: ReasonStoreUnavailable, Message: "the decision could not be audited; nothing was executed"}
	row := &store.Action{Status: rec.Status, Record: rec.encode(), UpdatedAt: p.d.Now()}
	if err := p.d.Store.UpdateAction(context.Background(), id, from, row, store.SessionDelta{}); err != nil {
		p.d.Log.Error("marking unaudited action failed", zap.String("action_id", id), zap.Error(err), zap.NamedError("cause", cause))
	}
}

func (p *Pipeline) baseEvent(id string, req *Request) audit.Event {
	intent := req.Intent
	if len(intent) > 1024 {
		intent = intent[:1024]
	}
	return audit.Event{
		ActionID: id, Principal: req.Principal.ID, PrincipalKind: req.Principal.Kind,
		OnBehalfOf: req.Principal.OnBehalfOf, Workspace: req.Workspace, SessionID: req.SessionID,
		Kind: string(req.Action.Kind), Intent: intent,
	}
}

func statusOf(e policy.Effect) store.Status {
	switch e {
	case policy.Allow:
		return store.StatusRunning
	case policy.Escalate:
		return store.StatusPendingApproval
	}
	return store.StatusDenied
}

// storedRequest is the stored form of a request: everything needed to plan
// and judge it again when it is approved.
type storedRequest struct {
	Workspace string            `json:"workspace"`
	Action    plan.Action       `json:"action"`
	Intent    string            `json:"intent"`
	SessionID string            `json:"session_id"`
	Labels    map[string]string `json:"labels"`
	Principal auth.Principal    `json:"principal"`
}

// encodeRequest returns the request's digest (for idempotency, over the
// whole request) and its stored form. Only an escalated action keeps the
// content it carries (file content, edit text, patch, stdin), because it is
// executed later; every other stored request drops it, so the store does not
// accumulate what agents wrote or tried to write (a denied write to a
// credentials file, say).
func encodeRequest(req *Request, keepContent bool) (string, []byte, error) {
	sr := storedRequest{req.Workspace, req.Action, req.Intent, req.SessionID, req.Labels, *req.Principal}
	raw, err := json.Marshal(sr)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(raw)
	if !keepContent {
		sr.Action.Content, sr.Action.Stdin, sr.Action.Patch, sr.Action.OldText, sr.Action.NewText = nil, nil, "", "", ""
		if raw, err = json.Marshal(sr); err != nil {
			return "", nil, err
		}
	}
	return hex.EncodeToString(sum[:]), raw, nil
}

// decodeRequest rebuilds a stored request.
func decodeRequest(a *store.Action) (*Request, error) {
	var sr storedRequest
	if err := json.Unmarshal(a.Request, &sr); err != nil {
		return nil, fmt.Errorf("decoding request of action %s: %w", a.ID, err)
	}
	return &Request{Principal: &sr.Principal, Workspace: sr.Workspace, Action: sr.Action, Intent: sr.Intent,
		SessionID: sr.SessionID, Labels: sr.Labels, IdempotencyKey: a.IdempotencyKey}, nil
}

func decodeRecord(a *store.Action) (*Record, error) {
	var rec Record
	if err := json.Unmarshal(a.Record, &rec); err != nil {
		return nil, &Error{Reason: ReasonInternal, Msg: "internal error", Err: fmt.Errorf("decoding action %s: %w", a.ID, err)}
	}
	rec.Status, rec.UpdatedAt = a.Status, a.UpdatedAt.UTC()
	return &rec, nil
}

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		// Records hold only strings, numbers, slices and maps.
		panic(fmt.Sprintf("pipeline: encoding record: %v", err))
	}
	return raw
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "act_" + hex.EncodeToString(b[:])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func auditReasons(rs []policy.Reason) []audit.Reason {
	out := make([]audit.Reason, len(rs))
	for i, r := range rs {
		out[i] = audit.Reason{RuleID: r.RuleID, Message: r.Message, Effect: string(r.Effect)}
	}
	return out
}
