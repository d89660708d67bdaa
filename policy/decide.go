package policy

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"go.uber.org/zap"
)

// Causes of a fail-closed deny, set (wrapped) in Decision.Err so that callers
// and tests can tell them apart with errors.Is.
var (
	ErrUndefined = errors.New("policy decision undefined")
	ErrEval      = errors.New("policy evaluation failed")
	ErrTimeout   = errors.New("policy evaluation timed out")
	ErrCanceled  = errors.New("policy evaluation canceled")
	ErrMalformed = errors.New("policy decision malformed")
	ErrNilInput  = errors.New("policy input missing")
)

// Rule ids of the engine's own fail-closed reasons.
const (
	RuleUndefined = "airlock.undefined"
	RuleEvalError = "airlock.eval_error"
	RuleTimeout   = "airlock.timeout"
	RuleCanceled  = "airlock.canceled"
	RuleMalformed = "airlock.malformed"
	RuleNilInput  = "airlock.invalid_input"
)

// failure maps a cause to the reason an agent sees. Messages are fixed text:
// the error itself may quote policy internals and is only logged.
var failure = map[error]Reason{
	ErrUndefined: {RuleUndefined, "the policy made no decision for this action, so it is denied; ask the platform team to cover this kind of action", Deny},
	ErrEval:      {RuleEvalError, "the policy failed while judging this action, so it is denied; retrying will not help until the policy is fixed", Deny},
	ErrTimeout:   {RuleTimeout, "the policy took too long to judge this action, so it is denied; try a smaller action", Deny},
	ErrCanceled:  {RuleCanceled, "the request was canceled before the policy decided, so it is denied", Deny},
	ErrMalformed: {RuleMalformed, "the policy returned a malformed decision, so the action is denied; ask the platform team to fix the policy", Deny},
	ErrNilInput:  {RuleNilInput, "no action was given to judge, so it is denied", Deny},
}

// ensure every wrapper error is returned through failClosed with one of the
// causes above.
type causeError struct {
	cause error
	err   error
}

func (c *causeError) Error() string { return c.cause.Error() + ": " + c.err.Error() }
func (c *causeError) Unwrap() []error {
	return []error{c.cause, c.err}
}

func because(cause, err error) error {
	if err == nil {
		return cause
	}
	return &causeError{cause: cause, err: err}
}

// Decide judges one action. It never returns an error and never panics:
// anything short of a well-formed decision is a deny with an "airlock."
// reason and Decision.Err set, logged here once.
func (e *Engine) Decide(ctx context.Context, in *Input) Decision {
	return e.decide(ctx, e.live.Load(), in, evalOpts{log: true})
}

// decideQuiet decides with a revision that is not live yet (the smoke
// check): its failures are the check's findings, not incidents to log.
func (e *Engine) decideQuiet(ctx context.Context, p *compiled, in *Input) Decision {
	return e.decide(ctx, p, in, evalOpts{})
}

// evalOpts vary one evaluation: whether a fail-closed deny is logged, and
// a tracer for explanations.
type evalOpts struct {
	log    bool
	tracer topdown.QueryTracer
}

func (e *Engine) decide(ctx context.Context, p *compiled, in *Input, o evalOpts) (d Decision) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			d = e.failClosed(p, in, start, because(ErrEval, fmt.Errorf("panic: %v", r)), o.log)
		}
	}()
	if in == nil {
		return e.failClosed(p, in, start, ErrNilInput, o.log)
	}
	// context.AfterFunc below cancels from another goroutine, which may run
	// only after a short evaluation finished: a request already gone must
	// not be decided at all.
	if err := ctx.Err(); err != nil {
		return e.failClosed(p, in, start, evalCause(ctx, false, err), o.log)
	}
	// Cancellation is wired by hand rather than through context.WithTimeout:
	// OPA would otherwise start a goroutine per evaluation to watch the
	// context, which costs more than the evaluation of a small policy.
	var timedOut atomic.Bool
	cancel := topdown.NewCancel()
	timer := time.AfterFunc(e.conf.Timeout, func() {
		timedOut.Store(true)
		cancel.Cancel()
	})
	stop := context.AfterFunc(ctx, cancel.Cancel)
	// Without EvalMetrics OPA allocates a fresh metrics registry per
	// evaluation that nothing reads.
	eo := []rego.EvalOption{rego.EvalParsedInput(in.ToValue()), rego.EvalExternalCancel(cancel), rego.EvalMetrics(metrics.NoOp())}
	if o.tracer != nil {
		eo = append(eo, rego.EvalQueryTracer(o.tracer))
	}
	rs, err := p.query.Eval(ctx, eo...)
	timer.Stop()
	stop()
	if err != nil {
		return e.failClosed(p, in, start, evalCause(ctx, timedOut.Load(), err), o.log)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return e.failClosed(p, in, start, ErrUndefined, o.log)
	}
	if len(rs) > 1 {
		return e.failClosed(p, in, start, because(ErrMalformed, errors.New("query produced more than one result")), o.log)
	}
	v, ok := rs[0].Expressions[0].Value.(ast.Value)
	if !ok {
		return e.failClosed(p, in, start, because(ErrMalformed, fmt.Errorf("unexpected result type %T", rs[0].Expressions[0].Value)), o.log)
	}
	d, err = e.conf.decision(v)
	if err != nil {
		return e.failClosed(p, in, start, because(ErrMalformed, err), o.log)
	}
	d.Revision = p.revision
	d.Duration = time.Since(start)
	return d
}

// evalCause tells a timeout or cancellation apart from a policy error: both
// surface from OPA as a cancel error, and only the timer and the context know
// which.
func evalCause(ctx context.Context, timedOut bool, err error) error {
	switch {
	case timedOut:
		return because(ErrTimeout, err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return because(ErrTimeout, err)
	case ctx.Err() != nil:
		return because(ErrCanceled, err)
	case topdown.IsCancel(err):
		return because(ErrCanceled, err)
	}
	return because(ErrEval, err)
}

func (e *Engine) failClosed(p *compiled, in *Input, start time.Time, err error, log bool) Decision {
	r := failure[ErrEval]
	for cause, reason := range failure {
		if errors.Is(err, cause) {
			r = reason
			break
		}
	}
	d := Decision{
		Effect:   Deny,
		Reasons:  []Reason{r},
		Revision: p.revision,
		Duration: time.Since(start),
		Err:      err,
	}
	if !log {
		return d
	}
	fields := []zap.Field{
		zap.String("policy_revision", p.revision),
		zap.String("rule_id", r.RuleID),
		zap.Duration("duration", d.Duration),
		zap.Error(err),
	}
	if in != nil {
		fields = append(fields,
			zap.String("action_kind", in.Action.Kind),
			zap.String("plan_digest", in.Plan.Digest),
			zap.String("session_id", in.Session.ID))
	}
	e.log.Error("policy failed closed", fields...)
	return d
}
