package client_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/clients/go/clienttest"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// fakeAgent is a real gRPC server whose WatchAction and GetAction follow a
// script, to break streams at chosen points.
type fakeAgent struct {
	airlockv1.UnimplementedAgentServiceServer
	mu sync.Mutex
	// streams[i] is what the i-th WatchAction stream sends before ending
	// with err[i] (nil: a clean end).
	streams [][]airlockv1.ActionStatus
	errs    []error
	opened  int
	// gets is what successive GetAction calls return when watch is
	// unimplemented.
	gets  []airlockv1.ActionStatus
	calls int
	watch bool
}

func (f *fakeAgent) WatchAction(req *airlockv1.WatchActionRequest, s grpc.ServerStreamingServer[airlockv1.WatchActionResponse]) error {
	if !f.watch {
		return status.Error(codes.Unimplemented, "no watch here")
	}
	f.mu.Lock()
	i := f.opened
	f.opened++
	f.mu.Unlock()
	if i >= len(f.streams) {
		return status.Error(codes.Internal, "script exhausted")
	}
	for _, st := range f.streams[i] {
		if err := s.Send(&airlockv1.WatchActionResponse{Action: &airlockv1.ActionRecord{ActionId: req.GetActionId(), Status: st}}); err != nil {
			return err
		}
	}
	return f.errs[i]
}

func (f *fakeAgent) GetAction(_ context.Context, req *airlockv1.GetActionRequest) (*airlockv1.GetActionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := min(f.calls, len(f.gets)-1)
	f.calls++
	return &airlockv1.GetActionResponse{Action: &airlockv1.ActionRecord{ActionId: req.GetActionId(), Status: f.gets[i]}}, nil
}

func startFake(t *testing.T, f *fakeAgent) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	airlockv1.RegisterAgentServiceServer(s, f)
	go s.Serve(l) //nolint:errcheck // ends with Stop
	t.Cleanup(s.Stop)
	return l.Addr().String()
}

const (
	pending   = airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL
	running   = airlockv1.ActionStatus_ACTION_STATUS_RUNNING
	succeeded = airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED
)

func TestFollow(t *testing.T) {
	cases := []struct {
		name    string
		fake    *fakeAgent
		want    airlockv1.ActionStatus
		code    codes.Code
		seen    []airlockv1.ActionStatus
		streams int
	}{
		{name: "one stream to the end", fake: &fakeAgent{watch: true,
			streams: [][]airlockv1.ActionStatus{{pending, running, succeeded}}, errs: []error{nil}},
			want: succeeded, seen: []airlockv1.ActionStatus{pending, running, succeeded}, streams: 1},
		{name: "stream broken by a restart is re-opened", fake: &fakeAgent{watch: true,
			streams: [][]airlockv1.ActionStatus{{pending}, {pending, succeeded}},
			errs:    []error{status.Error(codes.Unavailable, "server restarting"), nil}},
			want: succeeded, seen: []airlockv1.ActionStatus{pending, pending, succeeded}, streams: 2},
		{name: "stream that ends early is re-opened", fake: &fakeAgent{watch: true,
			streams: [][]airlockv1.ActionStatus{{pending}, {}, {succeeded}}, errs: []error{nil, nil, nil}},
			want: succeeded, seen: []airlockv1.ActionStatus{pending, succeeded}, streams: 3},
		{name: "other errors end the wait", fake: &fakeAgent{watch: true,
			streams: [][]airlockv1.ActionStatus{{}}, errs: []error{status.Error(codes.NotFound, "no such action")}},
			code: codes.NotFound, streams: 1},
		{name: "no WatchAction: polls", fake: &fakeAgent{gets: []airlockv1.ActionStatus{pending, pending, running, succeeded}},
			want: succeeded, seen: []airlockv1.ActionStatus{pending, running, succeeded}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := startFake(t, tc.fake)
			c := dial(t, addr, "tok", func(o *client.Options) {
				o.Backoff = client.Backoff{Base: time.Millisecond, Max: 2 * time.Millisecond}
				o.PollInterval = time.Millisecond
			})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var seen []airlockv1.ActionStatus
			rec, err := c.Follow(ctx, "act_1", func(r *airlockv1.ActionRecord) { seen = append(seen, r.GetStatus()) })
			if status.Code(err) != tc.code {
				t.Fatalf("err = %v, want code %v", err, tc.code)
			}
			if err == nil && rec.GetStatus() != tc.want {
				t.Errorf("final = %v, want %v", rec.GetStatus(), tc.want)
			}
			if tc.seen != nil && !equal(seen, tc.seen) {
				t.Errorf("seen = %v, want %v", seen, tc.seen)
			}
			if tc.fake.watch && tc.fake.opened != tc.streams {
				t.Errorf("streams opened = %d, want %d", tc.fake.opened, tc.streams)
			}
		})
	}
}

func equal(a, b []airlockv1.ActionStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAwaitRespectsContext(t *testing.T) {
	addr := startFake(t, &fakeAgent{watch: true, streams: [][]airlockv1.ActionStatus{{pending}, {pending}},
		errs: []error{status.Error(codes.Unavailable, "down"), status.Error(codes.Unavailable, "down")}})
	c := dial(t, addr, "tok", func(o *client.Options) { o.Backoff = client.Backoff{Base: time.Hour, Max: time.Hour} })
	ctx, cancel := context.WithCancel(context.Background())
	_, err := c.Follow(ctx, "act_1", func(*airlockv1.ActionRecord) { cancel() })
	if err == nil || ctx.Err() == nil {
		t.Fatalf("err = %v", err)
	}
}

// TestAwaitApproval is the whole escalation path on the real server: the
// agent's edit waits, bob approves, Await returns the executed action.
func TestAwaitApproval(t *testing.T) {
	srv := clienttest.Start(t)
	agent := dial(t, srv.Addr, clienttest.AgentToken)
	bob := dial(t, srv.Addr, clienttest.BobToken)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rec, err := agent.EditFile(ctx, "dev", "deploy/service.yaml", "replicas: 3", "replicas: 6", client.WithIntent("scale"))
	if err != nil || !client.IsPending(rec) {
		t.Fatalf("edit = %v, %v", rec, err)
	}
	approved := make(chan error, 1)
	var once sync.Once
	got, err := agent.Follow(ctx, rec.GetActionId(), func(r *airlockv1.ActionRecord) {
		if client.IsPending(r) {
			once.Do(func() {
				_, err := bob.Approvals.Approve(ctx, &airlockv1.ApproveRequest{ActionId: r.GetActionId(), Comment: "ok", Digest: r.GetPlan().GetDigest()})
				approved <- err
			})
		}
	})
	if err != nil {
		t.Fatalf("await: %v", err)
	}
	if err := <-approved; err != nil {
		t.Fatalf("approve: %v", err)
	}
	if got.GetStatus() != succeeded || srv.Read("deploy/service.yaml") != "replicas: 6\n" {
		t.Errorf("status %v, file %q", got.GetStatus(), srv.Read("deploy/service.yaml"))
	}
}
