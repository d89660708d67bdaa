package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/store"
	"github.com/airlock-dev/airlock/store/pgtest"
	"github.com/airlock-dev/airlock/store/postgres"
	"github.com/airlock-dev/airlock/store/sqlite"
)

// BenchmarkDecisions measures what one allowed action costs the store:
// CreateAction, UpdateAction (running to succeeded, with session totals)
// and one audit record, from many goroutines at once. sqlite and postgres
// both sync every commit (PostgreSQL runs a dedicated durable server);
// postgres-fsync-off uses the test server, for reference only.
func BenchmarkDecisions(b *testing.B) {
	backends := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"sqlite", func(b *testing.B) store.Store {
			st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatalf("sqlite.Open: %v", err)
			}
			return st
		}},
		{"postgres", func(b *testing.B) store.Store {
			pgtest.Shared(b) // skips or fails without PostgreSQL, like the tests
			srv, err := pgtest.NewServer(b.Context(), pgtest.Durable())
			if err != nil {
				b.Fatalf("pgtest.NewServer: %v", err)
			}
			b.Cleanup(func() { _ = srv.Stop() })
			st, err := postgres.Open(b.Context(), srv.NewDatabase(b))
			if err != nil {
				b.Fatalf("postgres.Open: %v", err)
			}
			return st
		}},
		{"postgres-fsync-off", func(b *testing.B) store.Store {
			// The shared test server: shows what the sync costs.
			st, err := postgres.Open(b.Context(), pgtest.Start(b))
			if err != nil {
				b.Fatalf("postgres.Open: %v", err)
			}
			return st
		}},
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			b.Cleanup(func() { _ = st.Close() })
			rec := &recorder{st: st}
			var n atomic.Int64
			b.SetParallelism(8) // requests in flight per CPU
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := decide(b.Context(), st, rec, fmt.Sprintf("bench-%d", n.Add(1))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}

func decide(ctx context.Context, st store.Store, rec *recorder, id string) error {
	now := time.Now()
	if _, err := st.CreateAction(ctx, &store.Action{ID: id, Principal: "agent:bench", Workspace: "ws",
		SessionID: "s", Kind: "write_file", Status: store.StatusRunning, Request: make([]byte, 512),
		CreatedAt: now}); err != nil {
		return err
	}
	if err := st.UpdateAction(ctx, id, store.StatusRunning, &store.Action{Status: store.StatusSucceeded,
		Record: make([]byte, 256)}, store.SessionDelta{Actions: 1, FilesChanged: 1, LinesChanged: 10}); err != nil {
		return err
	}
	return rec.append(ctx, id)
}

// recorder serialises appends within the process, as the audit recorder
// does, and re-reads the head when another writer got there first.
type recorder struct {
	st   store.Store
	mu   sync.Mutex
	head *store.AuditRecord
}

func (r *recorder) append(ctx context.Context, actionID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range 100 {
		if r.head == nil {
			last, err := r.st.LastAudit(ctx)
			switch {
			case errors.Is(err, store.ErrNotFound):
				last = &store.AuditRecord{}
			case err != nil:
				return err
			}
			r.head = last
		}
		next := store.AuditRecord{Seq: r.head.Seq + 1, Time: time.Now(), ActionID: actionID,
			Type: "action.completed", Body: []byte(`{"action":"` + actionID + `"}`), PrevHash: r.head.Hash,
			Hash: fmt.Sprintf("h%d", r.head.Seq+1)}
		err := r.st.AppendAudit(ctx, []store.AuditRecord{next})
		if err == nil {
			r.head = &next
			return nil
		}
		r.head = nil
		if !errors.Is(err, store.ErrAuditSeq) {
			return err
		}
	}
	return errors.New("audit append kept losing the race")
}
