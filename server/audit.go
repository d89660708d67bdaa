package server

import (
	"context"
	"errors"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/airlock-dev/airlock/audit"
	"github.com/airlock-dev/airlock/auth"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/pipeline"
	"github.com/airlock-dev/airlock/store"
)

// auditRoles may read the audit trail. The trail names every principal,
// path and intent, so it is not for every human, only those whose job is
// to look.
var auditRoles = []string{"auditor", "admin"}

const (
	defaultAuditPage = 100
	maxAuditPage     = 1000
	// maxAuditScan bounds the records one QueryEvents reads; a selective
	// filter then answers with a short page and a token to go on.
	maxAuditScan = 50_000
	// followPoll is the safety poll of FollowEvents: change notifications
	// are best effort, and some events (a refused request, an interrupted
	// action at start-up) belong to no published change.
	followPoll = time.Second
	// followSettle is when a follow reads again after a change
	// notification: an action's change is published when its store row
	// commits, and the audit event of that step is committed a moment
	// later, so the read made on the notification itself can be too early.
	followSettle = 20 * time.Millisecond
	// followBatch bounds the events read per round of a follow, so that a
	// follower far behind does not hold a large slice.
	followBatch = 500
)

// AuditService serves auditors over the stored audit trail.
type AuditService struct {
	airlockv1.UnimplementedAuditServiceServer
	s *Server
}

var _ airlockv1.AuditServiceServer = (*AuditService)(nil)

// authorize refuses every caller but a human auditor or admin. The access
// map already keeps agents out; this is the role check it cannot express.
func (a *AuditService) authorize(ctx context.Context) error {
	p := principalFrom(ctx)
	if p == nil || p.Kind != auth.KindHuman || !p.HasRole(auditRoles...) {
		return toStatus(a.s.log, &pipeline.Error{Reason: pipeline.ReasonPermissionDenied,
			Msg: "reading the audit trail needs a human principal with the auditor or admin role"})
	}
	return nil
}

// QueryEvents returns one page of matching events in sequence order.
func (a *AuditService) QueryEvents(ctx context.Context, req *airlockv1.QueryEventsRequest) (*airlockv1.QueryEventsResponse, error) {
	if err := a.authorize(ctx); err != nil {
		return nil, err
	}
	from, err := parsePageToken(req.GetPageToken())
	if err != nil {
		return nil, toStatus(a.s.log, err)
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultAuditPage
	}
	size = min(size, maxAuditPage)
	f := audit.Filter{
		Principal: req.GetPrincipal(), Workspace: req.GetWorkspace(), Effect: req.GetEffect(),
		Kind: req.GetKind(), ActionID: req.GetActionId(), Type: audit.Type(req.GetType()),
	}
	if req.GetSince() != nil {
		f.Since = req.GetSince().AsTime()
	}
	if req.GetUntil() != nil {
		f.Until = req.GetUntil().AsTime()
	}
	page, err := audit.Query(ctx, a.s.store, from, f, audit.QueryLimits{Max: size, MaxScan: maxAuditScan})
	if err != nil {
		return nil, toStatus(a.s.log, unavailableErr(err))
	}
	out := &airlockv1.QueryEventsResponse{Events: make([]*airlockv1.AuditEvent, 0, len(page.Matches))}
	for i := range page.Matches {
		ev, err := toAuditEvent(page.Matches[i].Record)
		if err != nil {
			return nil, toStatus(a.s.log, err)
		}
		out.Events = append(out.Events, ev)
	}
	if page.Next > 0 {
		out.NextPageToken = strconv.FormatInt(page.Next, 10)
	}
	return out, nil
}

// FollowEvents sends stored events from req.from_seq on, then each new one
// as it is recorded, until the caller goes away.
func (a *AuditService) FollowEvents(req *airlockv1.FollowEventsRequest, stream grpc.ServerStreamingServer[airlockv1.FollowEventsResponse]) error {
	ctx := stream.Context()
	if err := a.authorize(ctx); err != nil {
		return err
	}
	// Subscribe before reading the head, so that nothing recorded in
	// between goes unnoticed.
	changes, err := a.s.store.Subscribe(ctx)
	if err != nil {
		return toStatus(a.s.log, unavailableErr(err))
	}
	next := req.GetFromSeq()
	if next == 0 {
		last, err := a.s.store.LastAudit(ctx)
		switch {
		case errors.Is(err, store.ErrNotFound):
			next = 1
		case err != nil:
			return toStatus(a.s.log, unavailableErr(err))
		default:
			next = last.Seq + 1
		}
	}
	poll := time.NewTicker(followPoll)
	defer poll.Stop()
	// settle is armed by a notification and not re-armed until it fires,
	// so a steady stream of notifications cannot postpone it forever.
	settle := time.NewTimer(followSettle)
	settle.Stop()
	armed := false
	for {
		for {
			batch, err := a.readFrom(ctx, next)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return toStatus(a.s.log, unavailableErr(err))
			}
			for _, r := range batch {
				ev, err := toAuditEvent(r)
				if err != nil {
					return toStatus(a.s.log, err)
				}
				if err := stream.Send(&airlockv1.FollowEventsResponse{Event: ev}); err != nil {
					return err
				}
				next = r.Seq + 1
			}
			if len(batch) < followBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-changes:
			if !ok {
				// The store stopped notifying; the poll carries on.
				changes = nil
			}
			if !armed {
				settle.Reset(followSettle)
				armed = true
			}
		case <-settle.C:
			armed = false
		case <-poll.C:
		}
	}
}

// readFrom reads up to followBatch records from seq next on. Sending
// happens after the scan so that no store resource is held while a slow
// client drains its stream.
func (a *AuditService) readFrom(ctx context.Context, next int64) ([]*store.AuditRecord, error) {
	batch := make([]*store.AuditRecord, 0, 16)
	err := a.s.store.ScanAudit(ctx, next, func(r *store.AuditRecord) (bool, error) {
		batch = append(batch, r)
		return len(batch) < followBatch, nil
	})
	return batch, err
}

// VerifyChain walks the whole chain.
func (a *AuditService) VerifyChain(ctx context.Context, _ *airlockv1.VerifyChainRequest) (*airlockv1.VerifyChainResponse, error) {
	if err := a.authorize(ctx); err != nil {
		return nil, err
	}
	res, err := audit.Verify(ctx, a.s.store)
	if err != nil {
		return nil, toStatus(a.s.log, unavailableErr(err))
	}
	return &airlockv1.VerifyChainResponse{
		Ok: res.OK, Records: res.Records, Head: res.Head,
		FirstBad: res.FirstBad, Problem: res.Problem, Detail: res.Detail,
	}, nil
}

// parsePageToken reads a token QueryEvents gave out: the next seq in
// decimal. Anything else is refused rather than read from the start.
func parsePageToken(tok string) (int64, error) {
	if tok == "" {
		return 1, nil
	}
	n, err := strconv.ParseInt(tok, 10, 64)
	if err != nil || n < 1 {
		return 0, &pipeline.Error{Reason: pipeline.ReasonInvalidRequest, Msg: "page_token is not one this server gave out"}
	}
	return n, nil
}

// toAuditEvent maps a stored record to the API. The body is shown exactly
// as stored (it is what the hash covers), as a Struct.
func toAuditEvent(r *store.AuditRecord) (*airlockv1.AuditEvent, error) {
	body := &structpb.Struct{}
	if err := protojson.Unmarshal(r.Body, body); err != nil {
		return nil, &pipeline.Error{Reason: pipeline.ReasonInternal, Msg: "internal error",
			Err: errors.Join(errors.New("audit record body is not a JSON object; run audit verify"), err)}
	}
	return &airlockv1.AuditEvent{
		Seq: r.Seq, Time: timestamppb.New(r.Time), Type: r.Type, ActionId: r.ActionID,
		Event: body, PrevHash: r.PrevHash, Hash: r.Hash,
	}, nil
}
