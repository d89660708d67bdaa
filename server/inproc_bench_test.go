package server_test

import (
	"context"
	"testing"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// BenchmarkEvaluateInProcess measures Evaluate over loopback gRPC with the
// server in this process, for CPU profiles of the whole server path:
//
//	go test -run '^$' -bench EvaluateInProcess -cpuprofile cpu.out ./server/
func BenchmarkEvaluateInProcess(b *testing.B) {
	e := startEnv(b, envOpts{})
	req := &airlockv1.EvaluateRequest{Request: &airlockv1.ActionRequest{Workspace: "dev", Action: writeA("src/bench.go", "package bench\n")}}
	b.ResetTimer()
	for range b.N {
		if _, err := e.agent.Agent.Evaluate(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
