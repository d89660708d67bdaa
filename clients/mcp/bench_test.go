package mcp_test

import (
	"context"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/clients/go/clienttest"
)

// BenchmarkReadFile reads the same file through the gRPC client and through
// the MCP bridge (go-sdk client, stdio, the built binary), against one
// server, so the two figures compare directly:
//
//	go test -run '^$' -bench ReadFile ./clients/mcp/
func BenchmarkReadFile(b *testing.B) {
	srv := clienttest.Start(b)
	ctx := context.Background()
	b.Run("grpc", func(b *testing.B) {
		c, err := client.Dial(srv.Addr, client.Options{Token: clienttest.AgentToken})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		for b.Loop() {
			rec, err := c.ReadFile(ctx, "dev", "src/app.go")
			if err != nil || rec.GetResult().GetReadFile() == nil {
				b.Fatalf("read: %v %v", rec, err)
			}
		}
	})
	b.Run("mcp-stdio", func(b *testing.B) {
		s := connect(b, srv.Addr)
		params := &sdk.CallToolParams{Name: "read_file", Arguments: map[string]any{"path": "src/app.go"}}
		for b.Loop() {
			res, err := s.CallTool(ctx, params)
			if err != nil || res.IsError {
				b.Fatalf("read: %v %v", res, err)
			}
		}
	})
}
