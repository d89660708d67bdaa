package server_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/airlock-dev/airlock/audit"
	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/config"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/server"
	"github.com/airlock-dev/airlock/store"
	"github.com/airlock-dev/airlock/store/pgtest"
)

// cluster is several replicas of one deployment: each its own App and
// gRPC listener, all on one PostgreSQL database, one workspace directory
// and one policy directory, as behind a load balancer.
type cluster struct {
	t        *testing.T
	dir, ws  string
	replicas []*env
}

// pgPasswordEnv carries the database password into the configs, which
// hold ${PGPASSWORD_VAR} rather than the secret, as a deployment's would.
const pgPasswordEnv = "AIRLOCK_TEST_PGPASSWORD"

// startCluster starts one replica per id (its replica_id) on a fresh
// database. Replicas are started one after another, as a rollout would.
func startCluster(t *testing.T, ids ...string) *cluster {
	t.Helper()
	dsn := pgtest.Start(t)
	dsn = hidePassword(t, dsn)
	dir := t.TempDir()
	c := &cluster{t: t, dir: dir, ws: filepath.Join(dir, "ws")}
	writeTree(t, c.ws, map[string]string{
		"src/package.json":    "{}\n",
		"deploy/service.yaml": "replicas: 3\n",
		"notes/todo.txt":      "one\ntwo\nthree\n",
	})
	policyDir := filepath.Join(dir, "policies")
	copyDir(t, filepath.Join("..", "examples", "policies"), policyDir)
	for _, id := range ids {
		cfg := fmt.Sprintf(`
listen:
  address: 127.0.0.1:0
store:
  postgres: %q
replica_id: %s
policy:
  dir: %s
workspaces:
  - name: dev
    root: %s
    environment: dev
  - name: prod
    root: %s
    environment: prod
principals:
  - id: agent-1
    kind: agent
    token_sha256: %s
    roles: [agent]
    on_behalf_of: alice
  - id: alice
    kind: human
    token_sha256: %s
    roles: [developer]
  - id: bob
    kind: human
    token_sha256: %s
    roles: [senior, approver]
%s%s`, dsn, id, policyDir, c.ws, c.ws, hashToken(agentToken), hashToken(aliceToken), hashToken(bobToken),
			approvers(), racers())
		e := &env{t: t, dir: dir, ws: c.ws, policyDir: policyDir, cfgPath: filepath.Join(dir, id+".yaml")}
		if err := os.WriteFile(e.cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		e.start()
		if got := e.app.Config.ReplicaID; got != id {
			t.Fatalf("replica_id = %q, want %q", got, id)
		}
		c.replicas = append(c.replicas, e)
	}
	return c
}

// hidePassword replaces the DSN's password with a ${VAR} reference and
// sets the variable for this test.
func hidePassword(t *testing.T, dsn string) string {
	t.Helper()
	at := strings.LastIndex(dsn, "@")
	if at < 0 {
		t.Fatal("unexpected DSN shape from pgtest: no user info")
	}
	colon := strings.LastIndex(dsn[:at], ":")
	if colon < len("postgres://") {
		t.Fatal("unexpected DSN shape from pgtest: no password")
	}
	t.Setenv(pgPasswordEnv, dsn[colon+1:at])
	return dsn[:colon+1] + "${" + pgPasswordEnv + "}" + dsn[at:]
}

const racerCount = 12

func racerToken(i int) string { return fmt.Sprintf("racer-token-%02d", i) }

// racers are seniors for the racing approval test.
func racers() string {
	var b strings.Builder
	for i := range racerCount {
		fmt.Fprintf(&b, "  - id: racer%02d\n    kind: human\n    token_sha256: %s\n    roles: [senior]\n", i, hashToken(racerToken(i)))
	}
	return b.String()
}

// read returns a workspace file's content (the workspace is shared).
func (c *cluster) read(rel string) string { return c.replicas[0].read(rel) }

// auditTypes counts the audit events of action id by type, through the
// shared store.
func (c *cluster) auditTypes(st store.Store, id string) map[string]int {
	c.t.Helper()
	n := map[string]int{}
	err := st.ScanAudit(context.Background(), 1, func(r *store.AuditRecord) (bool, error) {
		if r.ActionID == id {
			n[r.Type]++
		}
		return true, nil
	})
	if err != nil {
		c.t.Fatalf("scan audit: %v", err)
	}
	return n
}

// verifyAudit checks that every replica's records form one intact chain.
func (c *cluster) verifyAudit(st store.Store) {
	c.t.Helper()
	res, err := audit.Verify(context.Background(), st)
	if err != nil {
		c.t.Fatalf("audit.Verify: %v", err)
	}
	if !res.OK || res.Records == 0 {
		c.t.Fatalf("audit chain over the shared store: ok=%v records=%d problem=%s %s", res.OK, res.Records, res.Problem, res.Detail)
	}
}

// kill stops a replica abruptly: in-flight calls are cut at once and the
// store is closed under anything still running, as in a crash.
func (e *env) kill() {
	cut, cancel := context.WithCancel(context.Background())
	cancel()
	e.app.Server.Stop(cut)
	_ = e.app.Close()
	e.cancel()
	<-e.stopped
	e.agent.Close()
	e.human.Close()
	e.cancel = nil
}

// final is a watched action's last status and when it arrived.
type final struct {
	status airlockv1.ActionStatus
	at     time.Time
	err    error
}

// watchFinal follows id as the agent until a final status or the end of
// the stream. It returns once the stream has sent its first message, so
// the server is subscribed before anything the caller does next.
func (e *env) watchFinal(id string) <-chan final {
	e.t.Helper()
	out := make(chan final, 1)
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	stream, err := e.agent.Agent.WatchAction(ctx, &airlockv1.WatchActionRequest{ActionId: id})
	if err != nil {
		e.t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		e.t.Fatal(err)
	}
	go func() {
		last := first.GetAction().GetStatus()
		for !terminal(last) {
			m, err := stream.Recv()
			if err != nil {
				out <- final{status: last, at: time.Now(), err: err}
				return
			}
			last = m.GetAction().GetStatus()
		}
		out <- final{status: last, at: time.Now()}
	}()
	return out
}

func terminal(s airlockv1.ActionStatus) bool {
	switch s {
	case airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL, airlockv1.ActionStatus_ACTION_STATUS_RUNNING,
		airlockv1.ActionStatus_ACTION_STATUS_UNSPECIFIED:
		return false
	}
	return true
}

func awaitFinal(t *testing.T, ch <-chan final) final {
	t.Helper()
	select {
	case f := <-ch:
		return f
	case <-time.After(30 * time.Second): // a bound on failure, not synchronisation
		t.Fatal("watch stream did not end")
		return final{}
	}
}

// watchPoll mirrors the server's safety poll under change notifications.
const watchPoll = 2 * time.Second

// TestReplicasApprovalAcrossReplicas: an action submitted on A, approved
// on B and on C, runs once, and A's watcher hears of it at once through
// LISTEN/NOTIFY rather than at its next safety poll.
func TestReplicasApprovalAcrossReplicas(t *testing.T) {
	c := startCluster(t, "replica-a", "replica-b", "replica-c")
	a, b, cc := c.replicas[0], c.replicas[1], c.replicas[2]
	rec := a.pending("prod", "src/package.json", "{}", `{"name":"x"}`)
	if got := rec.GetDecision().GetApproval().GetApprovals(); got != 2 {
		t.Fatalf("prod escalation needs %d approvals, want 2", got)
	}
	ap, err := b.approve(bobToken, rec.GetActionId(), "fine")
	if err != nil {
		t.Fatalf("bob approves on B: %v", err)
	}
	if ap.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL || c.read("src/package.json") != "{}\n" {
		t.Fatalf("after one of two approvals: %v, file %q", ap.GetAction().GetStatus(), c.read("src/package.json"))
	}

	watchStart := time.Now()
	watched := a.watchFinal(rec.GetActionId())
	ap, err = cc.approve(carolToken, rec.GetActionId(), "")
	approved := time.Now()
	if err != nil {
		t.Fatalf("carol approves on C: %v", err)
	}
	if ap.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("after two approvals: %v %v", ap.GetAction().GetStatus(), ap.GetAction().GetFailure())
	}
	f := awaitFinal(t, watched)
	if f.status != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("A's watcher saw %v (%v), want SUCCEEDED", f.status, f.err)
	}
	latency := max(f.at.Sub(approved), 0)
	t.Logf("A's watcher got SUCCEEDED %v after its watch started; C's approval returned after %v",
		f.at.Sub(watchStart), approved.Sub(watchStart))
	if latency > watchPoll/4 {
		t.Errorf("A's watcher woke %v after the approval; a notification should take far less than the %v safety poll", latency, watchPoll)
	}
	// A's first safety poll fires no earlier than watchPoll after the
	// stream started; anything before that came from a notification.
	if approved.Sub(watchStart) < watchPoll/2 && f.at.Sub(watchStart) >= watchPoll {
		t.Errorf("A's watcher woke only at its safety poll (%v after the watch started)", f.at.Sub(watchStart))
	}
	if got := c.read("src/package.json"); got != "{\"name\":\"x\"}\n" {
		t.Errorf("file = %q", got)
	}
	if n := c.auditTypes(a.app.Store, rec.GetActionId()); n[string(audit.TypeActionExecuted)] != 1 {
		t.Errorf("audit events for the action: %v, want one action.executed", n)
	}
	if _, err := a.approve(daveToken, rec.GetActionId(), ""); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("late vote on A: %v, want FailedPrecondition", err)
	}
	c.verifyAudit(b.app.Store)
}

// TestReplicasRaceFinalApproval: the deciding vote is cast at once by many
// approvers spread over three replicas; the action runs exactly once.
func TestReplicasRaceFinalApproval(t *testing.T) {
	c := startCluster(t, "replica-a", "replica-b", "replica-c")
	rec := c.replicas[0].pending("prod", "src/package.json", "{}\n", "{\"n\":1}\n")
	if _, err := c.replicas[1].approve(bobToken, rec.GetActionId(), "first"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var succeeded atomic.Int32
	start := make(chan struct{})
	errs := make([]error, racerCount)
	for i := range racerCount {
		e := c.replicas[i%len(c.replicas)]
		wg.Go(func() {
			<-start
			ap, err := e.approve(racerToken(i), rec.GetActionId(), "go")
			errs[i] = err
			if err == nil && ap.GetAction().GetStatus() == airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
				succeeded.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil && status.Code(err) != codes.FailedPrecondition {
			t.Errorf("racer %d: %v, want success or FailedPrecondition (not pending)", i, err)
		}
	}
	if succeeded.Load() < 1 {
		t.Error("no approver saw the outcome")
	}
	if got := c.read("src/package.json"); got != "{\"n\":1}\n" {
		t.Errorf("file = %q", got)
	}
	n := c.auditTypes(c.replicas[2].app.Store, rec.GetActionId())
	if n[string(audit.TypeActionExecuted)] != 1 || n[string(audit.TypeApprovalApproved)] != 1 {
		t.Errorf("audit events for the action: %v, want exactly one approval.approved and one action.executed", n)
	}
	got, err := c.replicas[0].app.Store.GetAction(context.Background(), rec.GetActionId())
	if err != nil || got.Status != store.StatusSucceeded || !strings.HasPrefix(got.Owner, "replica-") {
		t.Errorf("stored action = %+v, %v; want succeeded and owned by the replica that ran it", got, err)
	}
	c.verifyAudit(c.replicas[0].app.Store)
}

// TestReplicasIdempotency: one idempotency key names one action whichever
// replicas the retries land on, in turn or all at once.
func TestReplicasIdempotency(t *testing.T) {
	c := startCluster(t, "replica-a", "replica-b", "replica-c")
	a, b := c.replicas[0], c.replicas[1]
	key := func(k string) func(*airlockv1.ActionRequest) {
		return func(r *airlockv1.ActionRequest) { r.IdempotencyKey = k }
	}
	first, err := a.submit("dev", editA("deploy/service.yaml", "3", "4"), key("retry-1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.submit("dev", editA("deploy/service.yaml", "3", "4"), key("retry-1"))
	if err != nil || again.GetActionId() != first.GetActionId() {
		t.Fatalf("retry on B gave %q (%v), want %q from A", again.GetActionId(), err, first.GetActionId())
	}

	const n = 9
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		e := c.replicas[i%len(c.replicas)]
		wg.Go(func() {
			<-start
			r, err := e.submit("dev", writeA("notes/once.txt", "once\n"), key("retry-2"))
			ids[i], errs[i] = r.GetActionId(), err
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || ids[i] == "" || ids[i] != ids[0] {
			t.Errorf("submission %d on %s: id %q (%v), want %q", i, c.replicas[i%3].app.Config.ReplicaID, ids[i], errs[i], ids[0])
		}
	}
	rows, err := a.app.Store.ListActions(context.Background(), store.ActionFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]int{}
	for _, r := range rows {
		keys[r.IdempotencyKey]++
	}
	if keys["retry-1"] != 1 || keys["retry-2"] != 1 || len(rows) != 2 {
		t.Errorf("stored %d actions by key %v, want one per key", len(rows), keys)
	}
	if got := c.read("notes/once.txt"); got != "once\n" {
		t.Errorf("notes/once.txt = %q", got)
	}
	if ev := c.auditTypes(b.app.Store, ids[0]); ev[string(audit.TypeActionExecuted)] != 1 {
		t.Errorf("audit events for the keyed write: %v, want one action.executed", ev)
	}
	c.verifyAudit(a.app.Store)
}

// TestReplicasShareSessionTotals: a session's totals count actions run on
// every replica.
func TestReplicasShareSessionTotals(t *testing.T) {
	c := startCluster(t, "replica-a", "replica-b")
	a, b := c.replicas[0], c.replicas[1]
	for i, e := range []*env{a, b} {
		r, err := e.submit("dev", writeA(fmt.Sprintf("notes/s%d.txt", i), "x\n"))
		if err != nil || r.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
			t.Fatalf("write on %s: %v %v", e.app.Config.ReplicaID, r.GetStatus(), err)
		}
	}
	want := store.SessionTotals{Actions: 2, FilesChanged: 2}
	for _, e := range []*env{a, b} {
		got, err := e.app.Store.SessionTotals(context.Background(), "agent-1", "s1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Actions != want.Actions || got.FilesChanged != want.FilesChanged || got.LinesChanged < 2 {
			t.Errorf("totals through %s = %+v, want %d actions, %d files, at least 2 lines",
				e.app.Config.ReplicaID, got, want.Actions, want.FilesChanged)
		}
	}
	c.verifyAudit(b.app.Store)
}

// TestReplicasConcurrentSubmissions: agents spread over three replicas
// submit at the same time; every submission succeeds, as on one replica,
// and the replicas' audit records interleave into one intact chain.
func TestReplicasConcurrentSubmissions(t *testing.T) {
	c := startCluster(t, "replica-a", "replica-b", "replica-c")
	const perReplica, each = 4, 8
	var wg sync.WaitGroup
	var failed atomic.Int32
	start := make(chan struct{})
	for r, e := range c.replicas {
		for g := range perReplica {
			wg.Go(func() {
				<-start
				for i := range each {
					p := fmt.Sprintf("notes/c%d-%d-%d.txt", r, g, i)
					rec, err := e.submit("dev", writeA(p, p+"\n"), func(req *airlockv1.ActionRequest) {
						req.SessionId = fmt.Sprintf("s-%d-%d", r, g)
					})
					if err != nil || rec.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
						if failed.Add(1) <= 3 {
							t.Errorf("%s on %s: %v %v", p, e.app.Config.ReplicaID, rec.GetStatus(), err)
						}
					}
				}
			})
		}
	}
	close(start)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d concurrent submissions failed", n, len(c.replicas)*perReplica*each)
	}
	running, err := c.replicas[1].app.Store.ListActions(context.Background(),
		store.ActionFilter{Statuses: []store.Status{store.StatusRunning}, Limit: 1000})
	if err != nil || len(running) != 0 {
		t.Errorf("%d actions left running after every call returned (%v)", len(running), err)
	}
	c.verifyAudit(c.replicas[0].app.Store)
}

// TestReplicaKilledMidFlight: one replica dies while agents submit through
// it and wait on it; the others keep serving, the agent re-attaches its
// watch elsewhere, and the dead replica's restart interrupts only what it
// was itself running.
func TestReplicaKilledMidFlight(t *testing.T) {
	c := startCluster(t, "replica-a", "replica-b", "replica-c")
	a, b, cc := c.replicas[0], c.replicas[1], c.replicas[2]
	ctx := context.Background()
	rec := a.pending("prod", "src/package.json", "{}", `{"k":1}`)
	if _, err := a.approve(bobToken, rec.GetActionId(), "one of two"); err != nil {
		t.Fatal(err)
	}
	watchedOnA := a.watchFinal(rec.GetActionId())

	// Agents keep submitting through A; A dies once some have gone through.
	const writers = 4
	type ack struct{ id, path string }
	var (
		mu    sync.Mutex
		acked []ack
		wg    sync.WaitGroup
	)
	enough := make(chan struct{})
	var once sync.Once
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				p := fmt.Sprintf("notes/w%d-%03d.txt", w, i)
				r, err := a.submit("dev", writeA(p, p+"\n"))
				if err != nil {
					return // A is gone
				}
				if r.GetStatus() == airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
					mu.Lock()
					acked = append(acked, ack{r.GetActionId(), p})
					if len(acked) >= 2*writers {
						once.Do(func() { close(enough) })
					}
					mu.Unlock()
				}
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(30 * time.Second):
		t.Fatal("writers made no progress through A")
	}
	a.kill()
	wg.Wait()
	if f := awaitFinal(t, watchedOnA); f.err == nil || terminal(f.status) {
		t.Fatalf("watch on the killed replica ended with %v, %v; want a cut stream", f.status, f.err)
	}

	// Every write A acknowledged is stored as succeeded and on disk.
	for _, k := range acked {
		got, err := b.app.Store.GetAction(ctx, k.id)
		if err != nil || got.Status != store.StatusSucceeded || got.Owner != "replica-a" {
			t.Errorf("acknowledged %s: %+v, %v; want succeeded, run by replica-a", k.path, got, err)
		}
		if c.read(k.path) != k.path+"\n" {
			t.Errorf("acknowledged %s missing on disk", k.path)
		}
	}

	// The agent re-attaches its watch on B; the second approval lands on C.
	watchedOnB := b.watchFinal(rec.GetActionId())
	if ap, err := cc.approve(carolToken, rec.GetActionId(), "two of two"); err != nil ||
		ap.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("approval on C after A died: %v %v", ap.GetAction().GetStatus(), err)
	}
	if f := awaitFinal(t, watchedOnB); f.status != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Errorf("re-attached watch on B saw %v (%v)", f.status, f.err)
	}
	if got := c.read("src/package.json"); got != `{"k":1}`+"\n" {
		t.Errorf("file = %q", got)
	}
	// New work on the survivors: a direct write and an escalation.
	if r, err := b.submit("dev", writeA("notes/after.txt", "after\n")); err != nil || r.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("write on B after A died: %v %v", r.GetStatus(), err)
	}
	p := cc.pending("dev", "deploy/service.yaml", "3", "5")
	if ap, err := b.approve(bobToken, p.GetActionId(), "ok"); err != nil || ap.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("escalation on C approved on B: %v %v", ap.GetAction().GetStatus(), err)
	}

	// B is (as far as the store can tell) in the middle of running
	// something when A restarts: A must leave it alone.
	busy := &store.Action{ID: "act_busy_on_b", Principal: "agent-1", Workspace: "dev", SessionID: "s9", Kind: "write_file",
		Status: store.StatusRunning, Owner: "replica-b", Request: []byte("{}"), Record: []byte("{}")}
	if _, err := b.app.Store.CreateAction(ctx, busy); err != nil {
		t.Fatal(err)
	}
	a.start()
	interrupted, err := a.app.Store.ListActions(ctx, store.ActionFilter{Statuses: []store.Status{store.StatusInterrupted}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range interrupted {
		if r.Owner != "replica-a" {
			t.Errorf("A's restart interrupted %s owned by %q", r.ID, r.Owner)
		}
	}
	t.Logf("A acknowledged %d writes before it died; its restart interrupted %d actions it was running",
		len(acked), len(interrupted))
	running, err := a.app.Store.ListActions(ctx, store.ActionFilter{Statuses: []store.Status{store.StatusRunning}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(running) != 1 || running[0].ID != busy.ID {
		var ids []string
		for _, r := range running {
			ids = append(ids, r.ID+"@"+r.Owner)
		}
		t.Errorf("running after A restarted: %v, want only B's %s", ids, busy.ID)
	}
	if r, err := a.submit("dev", writeA("notes/back.txt", "back\n")); err != nil || r.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Fatalf("write on restarted A: %v %v", r.GetStatus(), err)
	}
	if err := b.app.Store.UpdateAction(ctx, busy.ID, store.StatusRunning,
		&store.Action{Status: store.StatusSucceeded, Record: []byte("{}")}, store.SessionDelta{}); err != nil {
		t.Errorf("B finishing its action after A restarted: %v", err)
	}
	c.verifyAudit(cc.app.Store)
}

// BenchmarkSubmitByStore measures end-to-end decisions per second: an
// allowed write_file submitted over gRPC on loopback (plan, policy, store
// records, audit, the write itself) by many parallel clients, against one
// app on SQLite, one on a durable PostgreSQL, and three replicas sharing
// that PostgreSQL with the clients spread over them.
//
//	go test -run '^$' -bench BenchmarkSubmitByStore -benchtime 5s ./server/
func BenchmarkSubmitByStore(b *testing.B) {
	durable := func(b *testing.B) string {
		pgtest.Shared(b) // skips or fails without PostgreSQL, like the tests
		srv, err := pgtest.NewServer(b.Context(), pgtest.Durable())
		if err != nil {
			b.Fatalf("pgtest.NewServer: %v", err)
		}
		b.Cleanup(func() { _ = srv.Stop() })
		return fmt.Sprintf("postgres: %q", srv.NewDatabase(b))
	}
	cases := []struct {
		name     string
		replicas int
		store    func(b *testing.B) string
	}{
		{"sqlite", 1, func(b *testing.B) string { return "path: " + filepath.Join(b.TempDir(), "airlock.db") }},
		{"postgres", 1, durable},
		{"postgres-3-replicas", 3, durable},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			dir := b.TempDir()
			ws := filepath.Join(dir, "ws")
			if err := os.MkdirAll(filepath.Join(ws, "src", "bench"), 0o755); err != nil {
				b.Fatal(err)
			}
			storeYAML := tc.store(b)
			var clients []*client.Client
			for i := range tc.replicas {
				clients = append(clients, benchReplica(b, dir, ws, storeYAML, fmt.Sprintf("bench-%d", i)))
			}
			var n, failed atomic.Int64
			b.SetParallelism(8) // clients per CPU
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					req := &airlockv1.ActionRequest{Workspace: "dev", Intent: "bench", SessionId: fmt.Sprintf("bench-%d", i),
						Action: writeA(fmt.Sprintf("src/bench/f%d.txt", i), "x\n")}
					resp, err := clients[int(i)%len(clients)].Agent.Submit(b.Context(), &airlockv1.SubmitRequest{Request: req})
					if err != nil || resp.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
						// Counted, not fatal, so that the figures show how
						// often a store refuses under this load.
						if failed.Add(1) == 1 {
							b.Logf("first failed submit: %v %v", resp.GetAction().GetStatus(), err)
						}
					}
				}
			})
			b.ReportMetric(float64(b.N-int(failed.Load()))/b.Elapsed().Seconds(), "decisions/s")
			b.ReportMetric(100*float64(failed.Load())/float64(b.N), "%failed")
		})
	}
}

// benchReplica builds and serves one app without logging (a debug log in
// memory would weigh on the figures) and returns an agent client for it.
func benchReplica(b *testing.B, dir, ws, storeYAML, id string) *client.Client {
	b.Helper()
	pol, err := filepath.Abs(filepath.Join("..", "examples", "policies"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse(fmt.Appendf(nil, `
store: {%s}
replica_id: %s
policy: {dir: %s}
log: {level: error}
workspaces: [{name: dev, root: %s, environment: dev}]
principals: [{id: agent-1, kind: agent, roles: [agent], token_sha256: %s}]
`, storeYAML, id, pol, ws, hashToken(agentToken)), dir)
	if err != nil {
		b.Fatal(err)
	}
	app, err := server.Build(b.Context(), cfg, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- app.Serve(ctx, []net.Listener{l}) }()
	c, err := client.Dial(l.Addr().String(), client.Options{Token: agentToken})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.Close()
		cancel()
		if err := <-stopped; err != nil {
			b.Errorf("serve: %v", err)
		}
		_ = app.Close()
	})
	return c
}
