package pipeline

import (
	"context"
	"errors"
	"strings"

	"go.uber.org/zap"

	"github.com/airlock-dev/airlock/audit"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/store"
)

// Load returns a stored action, its record and the request it carries.
func (p *Pipeline) Load(ctx context.Context, id string) (*store.Action, *Record, *Request, error) {
	a, err := p.d.Store.GetAction(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, &Error{Reason: ReasonActionNotFound, Msg: "no such action"}
	}
	if err != nil {
		return nil, nil, nil, &Error{Reason: ReasonStoreUnavailable, Msg: "the store is unavailable", Err: err}
	}
	rec, err := decodeRecord(a)
	if err != nil {
		return nil, nil, nil, err
	}
	req, err := decodeRequest(a)
	if err != nil {
		return nil, nil, nil, &Error{Reason: ReasonInternal, Msg: "internal error", Err: err}
	}
	return a, rec, req, nil
}

// Finish moves a pending action to a final status without executing it
// (rejected, expired) and records the step. ErrConflict-style races (it was
// no longer pending) come back as NOT_PENDING.
func (p *Pipeline) Finish(ctx context.Context, id string, to store.Status, typ audit.Type, why string, extra func(*audit.Event)) (*Record, error) {
	a, rec, req, err := p.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Status != store.StatusPendingApproval {
		return rec, &Error{Reason: ReasonNotPending, ActionID: id, Msg: "the action is " + string(a.Status) + ", not pending approval"}
	}
	rec.Status, rec.UpdatedAt = to, p.d.Now().UTC()
	rec.Failure = &Failure{Reason: ReasonNotPending, Message: why}
	row := &store.Action{Status: to, Record: rec.encode(), UpdatedAt: rec.UpdatedAt}
	if err := p.d.Store.UpdateAction(ctx, id, store.StatusPendingApproval, row, store.SessionDelta{}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return rec, &Error{Reason: ReasonNotPending, ActionID: id, Msg: "the action was decided concurrently"}
		}
		return nil, &Error{Reason: ReasonStoreUnavailable, ActionID: id, Msg: "the store is unavailable", Err: err}
	}
	ev := p.baseEvent(id, req)
	ev.Type, ev.Environment, ev.Digest, ev.ErrorMessage = typ, rec.Environment, rec.Plan.Digest, why
	if extra != nil {
		extra(&ev)
	}
	if err := p.d.Audit.Record(context.WithoutCancel(ctx), ev); err != nil {
		p.d.Log.Error("auditing approval outcome failed", zap.String("action_id", id), zap.Error(err))
	}
	return rec, nil
}

// Claim moves a pending action to running with a status compare-and-set,
// so that exactly one caller (on any replica) executes it. It reports
// whether this caller won.
func (p *Pipeline) Claim(ctx context.Context, rec *Record) (bool, error) {
	rec.Status, rec.UpdatedAt = store.StatusRunning, p.d.Now().UTC()
	row := &store.Action{Status: store.StatusRunning, Record: rec.encode(), UpdatedAt: rec.UpdatedAt, Owner: p.d.ReplicaID}
	err := p.d.Store.UpdateAction(ctx, rec.ID, store.StatusPendingApproval, row, store.SessionDelta{})
	switch {
	case errors.Is(err, store.ErrConflict):
		return false, nil
	case err != nil:
		return false, &Error{Reason: ReasonStoreUnavailable, ActionID: rec.ID, Msg: "the store is unavailable", Err: err}
	}
	return true, nil
}

// ExecuteApproved carries out an approved action that the caller has claimed
// (moved from pending_approval to running with a status compare-and-set, so
// exactly one replica gets here). It plans the action again: if the digest
// differs (a target changed, appeared or vanished since it was judged) the
// action ends as stale; the policy is asked again and a deny now wins; only
// then does it execute exactly what was approved.
func (p *Pipeline) ExecuteApproved(ctx context.Context, id string) (*Record, error) {
	_, rec, req, err := p.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	start := p.d.Now()
	ev := p.baseEvent(id, req)
	ev.Environment, ev.Digest, ev.Paths = rec.Environment, rec.Plan.Digest, rec.Plan.AllPaths
	finish := func(status store.Status, f *Failure, res *Result, delta store.SessionDelta, typ audit.Type) (*Record, error) {
		rec.Status, rec.Failure, rec.Result, rec.UpdatedAt = status, f, res, p.d.Now().UTC()
		p.d.Metrics.Execution(rec.Kind, rec.Workspace, string(status), p.d.Now().Sub(start))
		row := &store.Action{Status: status, Record: rec.encode(), UpdatedAt: rec.UpdatedAt}
		if err := p.d.Store.UpdateAction(context.WithoutCancel(ctx), id, store.StatusRunning, row, delta); err != nil {
			p.d.Log.Error("storing approved action outcome failed", zap.String("action_id", id), zap.Error(err))
		}
		ev.Type = typ
		if f != nil {
			ev.ErrorReason, ev.ErrorMessage = string(f.Reason), f.Message
		}
		if res != nil {
			ev.Result = res.summary()
		}
		if err := p.d.Audit.Record(context.WithoutCancel(ctx), ev); err != nil {
			p.d.Log.Error("auditing approved action outcome failed", zap.String("action_id", id), zap.Error(err))
		}
		return rec, nil
	}
	ws, pl, err := p.plan(req)
	if err != nil {
		e := asError(err)
		return finish(store.StatusStale, &Failure{Reason: e.Reason, Message: "the action can no longer be planned: " + e.Msg}, nil, store.SessionDelta{}, audit.TypeApprovalStale)
	}
	if pl.Facts.Digest != rec.Plan.Digest {
		return finish(store.StatusStale, &Failure{Reason: ReasonFileChanged,
			Message: "the workspace changed since the action was judged (" + changedPaths(rec.Plan, pl.Facts) + "); nothing was executed"},
			nil, store.SessionDelta{}, audit.TypeApprovalStale)
	}
	totals, err := p.d.Store.SessionTotals(ctx, req.Principal.ID, rec.SessionID)
	if err != nil {
		return finish(store.StatusFailed, &Failure{Reason: ReasonStoreUnavailable, Message: "the store is unavailable"}, nil, store.SessionDelta{}, audit.TypeActionFailed)
	}
	d := p.d.Decider.Decide(ctx, p.input(req, ws, pl, rec.SessionID, totals, p.d.Now()))
	ev.Effect, ev.Reasons, ev.PolicyRevision = string(d.Effect), auditReasons(d.Reasons), d.Revision
	recheck := decisionRecord(d)
	rec.Recheck = &recheck
	if d.Effect == policy.Deny {
		return finish(store.StatusDenied, &Failure{Reason: ReasonNotPending, Message: "the policy now denies this action; nothing was executed"},
			nil, store.SessionDelta{}, audit.TypeActionDecided)
	}
	res, xerr := p.execute(ctx, ws, pl, req, d)
	if xerr != nil {
		return finish(store.StatusFailed, failure(xerr), nil, store.SessionDelta{}, audit.TypeActionFailed)
	}
	delta := store.SessionDelta{Actions: 1, FilesChanged: pl.Facts.FilesChanged, LinesChanged: pl.Facts.LinesAdded + pl.Facts.LinesRemoved}
	return finish(store.StatusSucceeded, nil, res, delta, audit.TypeActionExecuted)
}

// changedPaths names the paths whose observed state differs.
func changedPaths(before, after policy.Plan) string {
	was := map[string]string{}
	for _, pp := range before.Paths {
		was[pp.Path] = pp.SHA256 + boolMark(pp.Exists)
	}
	var out []string
	for _, pp := range after.Paths {
		if was[pp.Path] != pp.SHA256+boolMark(pp.Exists) {
			out = append(out, pp.Path)
		}
	}
	if len(out) == 0 {
		return "the action's inputs differ"
	}
	return strings.Join(out, ", ")
}

func boolMark(b bool) string {
	if b {
		return "+"
	}
	return "-"
}
