package audit_test

import (
	"context"
	"io"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/airlock-dev/airlock/audit"
	"github.com/airlock-dev/airlock/store"
)

// discardJSON is a production-shaped logger (JSON encoding) that writes
// nowhere, so both benchmarks pay the same logging cost.
func discardJSON() *zap.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel))
}

func benchRecord(b *testing.B, st store.Audit) {
	r, err := audit.NewRecorder(context.Background(), st, discardJSON())
	if err != nil {
		b.Fatalf("NewRecorder: %v", err)
	}
	defer r.Close()
	ev := sampleEvent(1)
	b.ReportAllocs()
	b.SetParallelism(16) // many concurrent requests per core, as a server has
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := r.Record(context.Background(), ev); err != nil {
				b.Errorf("Record: %v", err)
				return
			}
		}
	})
}

// BenchmarkRecordSQLite records into a real SQLite file with synchronous=FULL;
// group commit shares each fsync among the events queued meanwhile.
func BenchmarkRecordSQLite(b *testing.B) {
	st, _ := openStore(b)
	benchRecord(b, st)
}

// BenchmarkRecordNull is the same without a store: what chaining and logging
// alone cost.
func BenchmarkRecordNull(b *testing.B) {
	benchRecord(b, nil)
}
