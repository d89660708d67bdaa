package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"

	"github.com/airlock-dev/airlock/auth"
	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/pipeline"
	"github.com/airlock-dev/airlock/plan"
)

// BenchmarkPipelineEvaluate is the server's work for an Evaluate without the
// transport: plan (an existing file, so read, hash and diff) and decide with
// the example policies.
//
//	go test -run '^$' -bench PipelineEvaluate -benchmem ./server/
func BenchmarkPipelineEvaluate(b *testing.B) {
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ws", "src"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ws", "src", "bench.go"), []byte("package bench\n\nconst N = 0\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	pol, err := filepath.Abs("../examples/policies")
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf("store: {path: %s}\npolicy: {dir: %s}\nworkspaces: [{name: dev, root: %s}]\nprincipals: [{id: a, kind: agent, token_sha256: %s}]\n",
		filepath.Join(dir, "db"), pol, filepath.Join(dir, "ws"), auth.HashToken("x"))), dir)
	if err != nil {
		b.Fatal(err)
	}
	app, err := Build(context.Background(), cfg, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	req := &pipeline.Request{Principal: &auth.Principal{ID: "a", Kind: "agent"}, Workspace: "dev",
		Action: plan.Action{Kind: plan.WriteFile, Path: "src/bench.go", Content: []byte("package bench\n\nconst N = 1\n")}}
	b.ResetTimer()
	for range b.N {
		if _, _, err := app.Server.pipe.Evaluate(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
