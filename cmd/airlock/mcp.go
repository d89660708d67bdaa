package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/clients/mcp"
)

func init() { register(newMCP) }

func newMCP() *cobra.Command {
	f := &agentFlags{}
	var (
		httpAddr      string
		awaitTimeout  time.Duration
		progressEvery time.Duration
		session       string
		labels        []string
	)
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve Airlock's tools to an MCP client (Claude Code, Codex, Gemini CLI, Cursor)",
		Long: `Serve an MCP server on standard input and output (or streamable HTTP with
--http) whose tools read, write, edit, delete, move and list files, apply
patches and run commands, each through a running Airlock server as one agent
in one workspace. Register it with your agent, and switch off the agent's own
file and shell tools (see examples/agents/README.md), so that Airlock is the
only path.

A denial comes back as a tool error with the policy's reasons. An escalation
waits for human approval (up to --await-timeout, with a progress notification
at least every 20 seconds), or returns an action id for await_approval when
the model passes wait=false. An unreachable server is reported as such.`,
		Example: `  AIRLOCK_TOKEN=demo-agent-token airlock mcp --workspace demo
  claude mcp add airlock --env AIRLOCK_TOKEN=demo-agent-token -- airlock mcp --workspace demo
  airlock mcp --workspace demo --http 127.0.0.1:8765   # then http://127.0.0.1:8765/mcp`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.dial(client.Options{})
			if err != nil {
				return err
			}
			defer c.Close()
			lbl, err := parsePairs("--label", labels)
			if err != nil {
				return err
			}
			srv, err := mcp.NewServer(c, mcp.Config{
				Workspace: f.workspace, Addr: f.addr, SessionID: session, Labels: lbl,
				AwaitTimeout: awaitTimeout, ProgressEvery: progressEvery, Version: version,
			})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if httpAddr != "" {
				return serveMCPHTTP(ctx, cmd, srv, httpAddr)
			}
			err = srv.Run(ctx, &sdk.StdioTransport{})
			if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, sdk.ErrConnectionClosed) {
				return nil
			}
			return err
		},
	}
	f.bind(cmd.Flags())
	cmd.Flags().StringVar(&httpAddr, "http", "", "serve streamable HTTP on this loopback address (e.g. 127.0.0.1:8765) instead of stdio")
	cmd.Flags().DurationVar(&awaitTimeout, "await-timeout", 10*time.Minute, "how long a tool call waits for approvers before returning the pending action id")
	cmd.Flags().DurationVar(&progressEvery, "progress-every", 15*time.Second, "interval of progress notifications while waiting (at most 20s)")
	cmd.Flags().StringVar(&session, "session", "", "session id for the policy's session totals (default: one per bridge process)")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "label KEY=VALUE sent with every action (repeatable)")
	return cmd
}

// serveMCPHTTP serves streamable HTTP on a loopback address only: the
// endpoint has no authentication of its own and acts with the agent's
// token, so anyone who can reach it is the agent.
func serveMCPHTTP(ctx context.Context, cmd *cobra.Command, srv *sdk.Server, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--http %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--http %q: only loopback addresses are allowed, because the endpoint acts with the agent's token without authenticating its callers", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return srv }, nil))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(cmd.ErrOrStderr(), "airlock mcp: serving streamable HTTP on http://%s/mcp\n", l.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Streamable HTTP keeps event streams open, which a graceful shutdown
	// would wait for forever: give calls in flight a moment, then close.
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return hs.Close()
	}
	return nil
}

// parsePairs reads KEY=VALUE flag values.
func parsePairs(flag string, vals []string) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(vals))
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want KEY=VALUE", flag, v)
		}
		m[k] = val
	}
	return m, nil
}
