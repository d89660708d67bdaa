package approval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/airlock-dev/airlock/audit"
	"github.com/airlock-dev/airlock/auth"
	"github.com/airlock-dev/airlock/metrics"
	"github.com/airlock-dev/airlock/pipeline"
	"github.com/airlock-dev/airlock/plan"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/store"
)

// Conf configures approvals.
type Conf struct {
	// SeparationOfDuties lists the environments in which the person an
	// agent acts for may not approve its actions (default: every
	// environment but dev).
	SeparationOfDuties []string `yaml:"separation_of_duties"`
	// RequireApproveComment makes a comment mandatory on approval too
	// (rejections always need one).
	RequireApproveComment bool `yaml:"require_approve_comment"`
	// SweepInterval is how often expired actions are ended (default 5s).
	SweepInterval time.Duration `yaml:"sweep_interval"`
	// Webhook announces new pending actions and their outcomes.
	Webhook WebhookConf `yaml:"webhook"`
}

// SetDefaults fills unset values.
func (c *Conf) SetDefaults() {
	if c.SeparationOfDuties == nil {
		c.SeparationOfDuties = []string{"test", "staging", "prod"}
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = 5 * time.Second
	}
	c.Webhook.SetDefaults()
}

// Validate names the bad key.
func (c *Conf) Validate() error {
	if c.SweepInterval < 100*time.Millisecond || c.SweepInterval > time.Hour {
		return errors.New("approvals.sweep_interval: must be between 100ms and 1h")
	}
	return c.Webhook.Validate()
}

// Deps are what the Service works with.
type Deps struct {
	Pipeline *pipeline.Pipeline
	Store    store.Store
	Audit    *audit.Recorder
	Log      *zap.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Metrics gets the pending count after each sweep (nil: none).
	Metrics *metrics.Metrics
}

// Service runs the approval workflow. Safe for concurrent use.
type Service struct {
	c       Conf
	d       Deps
	webhook *webhook
}

// New builds a Service; Run starts its expiry sweeper and webhook sender.
func New(c Conf, d Deps) *Service {
	c.SetDefaults()
	if d.Log == nil {
		d.Log = zap.NewNop()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{c: c, d: d, webhook: newWebhook(c.Webhook, d.Log)}
}

// View is an escalated action as an approver sees it.
type View struct {
	Record    *pipeline.Record
	Requested plan.Action
	Votes     []store.Vote
	// CanVote says whether the viewer may vote; Why says why not.
	CanVote bool
	Why     string
}

// Requirement returns the approval the action needs.
func (v *View) Requirement() policy.Approval {
	if a := v.Record.Decision.Approval; a != nil {
		return *a
	}
	return policy.Approval{Approvals: 1}
}

// Get returns one escalated action for viewer.
func (s *Service) Get(ctx context.Context, viewer *auth.Principal, id string) (*View, error) {
	_, rec, req, err := s.d.Pipeline.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Decision.Effect != policy.Escalate || !s.mayView(viewer, rec) {
		// The same answer whether it does not exist or is not the viewer's
		// to see: approvers see contents about to be written.
		return nil, &pipeline.Error{Reason: pipeline.ReasonActionNotFound, Msg: "no escalated action with this id that you may see (viewers need a role the escalation names)"}
	}
	votes, err := s.d.Store.Votes(ctx, id)
	if err != nil {
		return nil, unavailable(err)
	}
	v := &View{Record: rec, Requested: req.Action, Votes: votes}
	v.Why = s.ineligible(viewer, rec, votes)
	v.CanVote = v.Why == "" && rec.Status == store.StatusPendingApproval
	if v.Why == "" && !v.CanVote {
		v.Why = "the action is " + string(rec.Status) + ", not pending approval"
	}
	return v, nil
}

// Filter selects pending actions.
type Filter struct {
	Workspace string
	Requester string
	MinAge    time.Duration
	Limit     int
}

// ListPending returns pending escalations, oldest first.
func (s *Service) ListPending(ctx context.Context, viewer *auth.Principal, f Filter) ([]*View, error) {
	sf := store.ActionFilter{Statuses: []store.Status{store.StatusPendingApproval}, Workspace: f.Workspace, Principal: f.Requester, Limit: f.Limit}
	if f.MinAge > 0 {
		sf.CreatedBefore = s.d.Now().Add(-f.MinAge)
	}
	rows, err := s.d.Store.ListActions(ctx, sf)
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]*View, 0, len(rows))
	for _, a := range rows {
		v, err := s.Get(ctx, viewer, a.ID)
		var pe *pipeline.Error
		if errors.As(err, &pe) && pe.Reason == pipeline.ReasonActionNotFound {
			continue // not this viewer's to see
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ViewerRoles may see every escalation (auditors), besides those who may
// vote on it and the person the agent acts for.
var ViewerRoles = []string{"auditor", "admin"}

// mayView says whether who may see rec's escalation.
func (s *Service) mayView(who *auth.Principal, rec *pipeline.Record) bool {
	if who.Kind != auth.KindHuman {
		return false
	}
	if who.ID == rec.OnBehalfOf || who.HasRole(ViewerRoles...) {
		return true
	}
	req := rec.Decision.Approval
	return req == nil || len(req.Roles) == 0 || who.HasRole(req.Roles...)
}

// ineligible says why who may not vote on rec, or "" if they may.
func (s *Service) ineligible(who *auth.Principal, rec *pipeline.Record, votes []store.Vote) string {
	switch {
	case who.Kind != auth.KindHuman:
		return "only humans may vote; an agent never approves actions"
	case who.ID == rec.Principal:
		return "the requester may not vote on its own action"
	case who.ID == rec.OnBehalfOf && slices.Contains(s.c.SeparationOfDuties, rec.Environment):
		return fmt.Sprintf("separation of duties in %s: the person the agent acts for may not approve its actions", rec.Environment)
	}
	req := rec.Decision.Approval
	if req != nil && len(req.Roles) > 0 && !who.HasRole(req.Roles...) {
		return fmt.Sprintf("voting needs one of the roles %v", req.Roles)
	}
	for _, v := range votes {
		if v.Principal == who.ID {
			return "already voted"
		}
	}
	return ""
}

// Vote records who's vote and, when it settles the action, ends it
// (rejected) or claims and executes it. The returned view is the action
// after the vote.
func (s *Service) Vote(ctx context.Context, who *auth.Principal, id string, kind store.VoteKind, comment, digest string) (*View, error) {
	if kind == store.VoteReject && comment == "" {
		return nil, &pipeline.Error{Reason: pipeline.ReasonCommentRequired, Msg: "a rejection needs a comment saying why"}
	}
	if kind == store.VoteApprove && comment == "" && s.c.RequireApproveComment {
		return nil, &pipeline.Error{Reason: pipeline.ReasonCommentRequired, Msg: "this server requires a comment on approvals"}
	}
	v, err := s.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	rec := v.Record
	if rec.Status == store.StatusPendingApproval && !rec.ExpiresAt.IsZero() && !s.d.Now().Before(rec.ExpiresAt) {
		s.expire(ctx, id)
		return nil, &pipeline.Error{Reason: pipeline.ReasonNotPending, ActionID: id, Msg: "the action expired before this vote"}
	}
	if rec.Status != store.StatusPendingApproval {
		return nil, &pipeline.Error{Reason: pipeline.ReasonNotPending, ActionID: id, Msg: "the action is " + string(rec.Status) + ", not pending approval"}
	}
	if why := s.ineligible(who, rec, v.Votes); why != "" {
		reason := pipeline.ReasonNotEligible
		if why == "already voted" {
			reason = pipeline.ReasonAlreadyVoted
		}
		return nil, &pipeline.Error{Reason: reason, ActionID: id, Msg: why}
	}
	if digest != "" && digest != rec.Plan.Digest {
		return nil, &pipeline.Error{Reason: pipeline.ReasonDigestMismatch, ActionID: id, Msg: "the action's digest is not the one reviewed; show it again"}
	}
	err = s.d.Store.AddVote(ctx, store.Vote{ActionID: id, Principal: who.ID, Kind: kind, Comment: comment, CreatedAt: s.d.Now()})
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return nil, &pipeline.Error{Reason: pipeline.ReasonAlreadyVoted, ActionID: id, Msg: "already voted"}
	case errors.Is(err, store.ErrConflict):
		return nil, &pipeline.Error{Reason: pipeline.ReasonNotPending, ActionID: id, Msg: "the action was decided concurrently"}
	case err != nil:
		return nil, unavailable(err)
	}
	s.record(ctx, rec, audit.Event{Type: audit.TypeApprovalVoted, Voter: who.ID, Vote: string(kind), Comment: comment})

	if kind == store.VoteReject {
		if _, err := s.d.Pipeline.Finish(ctx, id, store.StatusRejected, audit.TypeApprovalRejected,
			fmt.Sprintf("rejected by %s: %s", who.ID, comment), func(ev *audit.Event) { ev.Voter, ev.Comment = who.ID, comment }); err != nil {
			return nil, err
		}
		s.announce(id, "rejected by "+who.ID+": "+comment)
		return s.Get(ctx, who, id)
	}
	votes, err := s.d.Store.Votes(ctx, id)
	if err != nil {
		return nil, unavailable(err)
	}
	approvals := 0
	for _, vt := range votes {
		if vt.Kind == store.VoteApprove {
			approvals++
		}
	}
	if approvals < v.Requirement().Approvals {
		return s.Get(ctx, who, id)
	}
	claimed, err := s.d.Pipeline.Claim(ctx, rec)
	if err != nil {
		return nil, err
	}
	if !claimed {
		return s.Get(ctx, who, id) // another vote, maybe on another replica, claimed it
	}
	s.record(ctx, rec, audit.Event{Type: audit.TypeApprovalApproved, Voter: who.ID})
	final, err := s.d.Pipeline.ExecuteApproved(context.WithoutCancel(ctx), id)
	if err != nil {
		return nil, err
	}
	s.announce(id, outcomeText(final))
	return s.Get(ctx, who, id)
}

// ExpireDue ends every pending action whose time is up and returns how
// many it ended. Racing replicas are harmless: the status compare-and-set
// lets one win each.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	rows, err := s.d.Store.ListActions(ctx, store.ActionFilter{
		Statuses: []store.Status{store.StatusPendingApproval}, ExpiresBefore: s.d.Now(), Limit: 1000,
	})
	if err != nil {
		return 0, err
	}
	if s.d.Metrics != nil {
		if all, err := s.d.Store.ListActions(ctx, store.ActionFilter{Statuses: []store.Status{store.StatusPendingApproval}, Limit: 1000}); err == nil {
			s.d.Metrics.Pending(len(all) - len(rows))
		}
	}
	n := 0
	for _, a := range rows {
		if s.expire(ctx, a.ID) {
			n++
		}
	}
	return n, nil
}

func (s *Service) expire(ctx context.Context, id string) bool {
	_, err := s.d.Pipeline.Finish(ctx, id, store.StatusExpired, audit.TypeApprovalExpired, "nobody approved the action before it expired", nil)
	if err != nil {
		var pe *pipeline.Error
		if !errors.As(err, &pe) || pe.Reason != pipeline.ReasonNotPending {
			s.d.Log.Error("expiring action failed", zap.String("action_id", id), zap.Error(err))
		}
		return false
	}
	s.announce(id, "expired: nobody approved it in time")
	return true
}

// Run sweeps expired actions and sends webhooks until ctx ends.
func (s *Service) Run(ctx context.Context) {
	go s.webhook.run(ctx)
	t := time.NewTicker(s.c.SweepInterval)
	defer t.Stop()
	for {
		if _, err := s.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			s.d.Log.Warn("expiry sweep failed", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Escalated is the pipeline's OnEscalate hook: announce a new pending action.
func (s *Service) Escalated(rec *pipeline.Record) {
	s.webhook.send(event{Event: "approval.pending", Record: rec,
		Text: fmt.Sprintf("Airlock: %s asks to %s in %s (%s): %s. Approve with `airlock approvals show %s`.",
			rec.Principal, rec.Kind, rec.Workspace, pathsOf(rec), reasonsOf(rec), rec.ID)})
}

func (s *Service) announce(id, what string) {
	_, rec, _, err := s.d.Pipeline.Load(context.Background(), id)
	if err != nil {
		return
	}
	s.webhook.send(event{Event: "approval." + string(rec.Status), Record: rec,
		Text: fmt.Sprintf("Airlock: %s's %s in %s (%s) %s → %s.", rec.Principal, rec.Kind, rec.Workspace, pathsOf(rec), what, rec.Status)})
}

func (s *Service) record(ctx context.Context, rec *pipeline.Record, ev audit.Event) {
	ev.ActionID, ev.Principal, ev.PrincipalKind, ev.OnBehalfOf = rec.ID, rec.Principal, rec.PrincipalKind, rec.OnBehalfOf
	ev.Workspace, ev.Environment, ev.SessionID, ev.Kind, ev.Digest = rec.Workspace, rec.Environment, rec.SessionID, rec.Kind, rec.Plan.Digest
	if err := s.d.Audit.Record(context.WithoutCancel(ctx), ev); err != nil {
		s.d.Log.Error("auditing approval step failed", zap.String("action_id", rec.ID), zap.Error(err))
	}
}

func unavailable(err error) error {
	return &pipeline.Error{Reason: pipeline.ReasonStoreUnavailable, Msg: "the store is unavailable", Err: err}
}
