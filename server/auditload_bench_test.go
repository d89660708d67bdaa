package server_test

// Audit load benchmark: what the durable audit trail costs a Submit under
// concurrent load. Two real servers (loopback gRPC, the example policies,
// a SQLite store each) are wired identically except for the audit
// recorder's sink: the store (durable, group-committed) or none (the null
// sink, events only logged). 64 agents submit small write_file actions to
// one server at a time for a bounded phase; phases alternate between the
// two so that machine noise hits both alike:
//
//	go test -run '^$' -bench AuditLoad -benchtime 1x ./server/
//
// It reports actions/second and the Submit median and p99 for each, the
// median ratio (target: durable at most 1.15× the null sink) and one
// fsync's latency on the same disk, to compare throughput with what one
// fsync per action would allow.

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/airlock-dev/airlock/approval"
	"github.com/airlock-dev/airlock/audit"
	"github.com/airlock-dev/airlock/auth"
	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/config"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/pipeline"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/sandbox/files"
	"github.com/airlock-dev/airlock/server"
)

const (
	loadAgents = 64
	loadPhase  = 750 * time.Millisecond
	loadRounds = 8
)

// loadServer wires a server the way server.Build does, with the audit
// recorder's store chosen by durable.
func loadServer(b *testing.B, durable bool) string {
	b.Helper()
	dir := b.TempDir()
	ws := filepath.Join(dir, "ws")
	if err := os.MkdirAll(filepath.Join(ws, "src"), 0o755); err != nil {
		b.Fatal(err)
	}
	pol, err := filepath.Abs(filepath.Join("..", "examples", "policies"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
store: {path: %s}
policy: {dir: %s}
workspaces: [{name: dev, root: %s, environment: dev}]
principals: [{id: agent-1, kind: agent, roles: [agent], token_sha256: %s}]
`, filepath.Join(dir, "airlock.db"), pol, ws, auth.HashToken(agentToken))), dir)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	log := zap.NewNop()
	eng, err := policy.New(ctx, policy.Conf{Dir: cfg.Policy.Dir, Query: cfg.Policy.Query, Timeout: cfg.Policy.Timeout,
		DefaultApproval: policy.ApprovalDefaults{Roles: cfg.Policy.ApprovalRoles, Approvals: cfg.Policy.Approvals, TTL: cfg.Policy.ApprovalTTL}})
	if err != nil {
		b.Fatal(err)
	}
	st, err := server.OpenStore(ctx, cfg.Store)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	sink := st
	if !durable {
		sink = nil
	}
	var rec *audit.Recorder
	if sink != nil {
		rec, err = audit.NewRecorder(ctx, sink, log)
	} else {
		rec, err = audit.NewRecorder(ctx, nil, log)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rec.Close() })
	lim := files.Limits{}.WithDefaults()
	root, err := files.Open(ws, lim)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { root.Close() })
	pipe, err := pipeline.New(pipeline.Deps{Decider: eng, Store: st, Audit: rec, Log: log, Limits: lim, Sandbox: cfg.Sandbox,
		Workspaces: []*pipeline.Workspace{{Name: "dev", Environment: "dev", Root: root}}})
	if err != nil {
		b.Fatal(err)
	}
	appr := approval.New(cfg.Approvals, approval.Deps{Pipeline: pipe, Store: st, Audit: rec, Log: log})
	tokens, err := cfg.Tokens()
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(server.Conf{}, log, tokens, pipe, appr, st)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l) //nolint:errcheck // stopped below
	b.Cleanup(func() { srv.Stop(context.Background()) })
	return l.Addr().String()
}

// loadPhaseRun drives loadAgents agents against addr for d and returns the
// Submit latencies.
func loadPhaseRun(b *testing.B, clients []*client.Client, phase int, d time.Duration) []time.Duration {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		mu  sync.Mutex
		all []time.Duration
		wg  sync.WaitGroup
	)
	for g, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for i := 0; ctx.Err() == nil; i++ {
				req := &airlockv1.SubmitRequest{Request: &airlockv1.ActionRequest{Workspace: "dev", Intent: "load",
					Action: writeA(fmt.Sprintf("src/p%d-a%02d-%d.txt", phase, g, i), "load\n")}}
				t0 := time.Now()
				resp, err := c.Agent.Submit(context.Background(), req)
				if err != nil || resp.GetAction().GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
					b.Errorf("submit: %v %v", resp.GetAction().GetStatus(), err)
					return
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

// fsyncLatency is the median time of one small write + fsync in dir.
func fsyncLatency(b *testing.B, dir string) time.Duration {
	b.Helper()
	f, err := os.Create(filepath.Join(dir, "fsync.probe"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var lat []time.Duration
	for range 50 {
		t0 := time.Now()
		if _, err := f.Write([]byte("x")); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	return lat[len(lat)/2]
}

func BenchmarkAuditLoad(b *testing.B) {
	variants := []struct {
		name    string
		durable bool
		clients []*client.Client
		lat     []time.Duration
		elapsed time.Duration
	}{{name: "durable", durable: true}, {name: "null", durable: false}}
	for i := range variants {
		addr := loadServer(b, variants[i].durable)
		for range loadAgents {
			c, err := client.Dial(addr, client.Options{Token: agentToken})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { c.Close() })
			variants[i].clients = append(variants[i].clients, c)
		}
		loadPhaseRun(b, variants[i].clients, -1, 200*time.Millisecond) // warm up
	}
	b.ResetTimer()
	for range b.N {
		for r := range loadRounds {
			for k := range variants {
				v := &variants[(k+r)%len(variants)] // alternate who goes first
				t0 := time.Now()
				v.lat = append(v.lat, loadPhaseRun(b, v.clients, r, loadPhase)...)
				v.elapsed += time.Since(t0)
			}
		}
	}
	b.StopTimer()
	med := map[string]time.Duration{}
	rate := map[string]float64{}
	for _, v := range variants {
		if len(v.lat) == 0 {
			b.Fatalf("%s: no completed submits", v.name)
		}
		slices.Sort(v.lat)
		med[v.name] = v.lat[len(v.lat)/2]
		rate[v.name] = float64(len(v.lat)) / v.elapsed.Seconds()
		b.ReportMetric(rate[v.name], v.name+"-actions/s")
		b.ReportMetric(float64(med[v.name].Microseconds()), v.name+"-p50-us")
		b.ReportMetric(float64(v.lat[len(v.lat)*99/100].Microseconds()), v.name+"-p99-us")
	}
	b.ReportMetric(float64(med["durable"])/float64(med["null"]), "p50-durable/null")
	b.ReportMetric(rate["durable"]/rate["null"], "rate-durable/null")
	b.ReportMetric(float64(fsyncLatency(b, b.TempDir()).Microseconds()), "fsync-us")
}
