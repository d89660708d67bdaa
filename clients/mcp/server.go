package mcp

import (
	"errors"
	"fmt"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	client "github.com/airlock-dev/airlock/clients/go"
)

// Config says whom the bridge acts for and how long it waits.
type Config struct {
	// Workspace is the Airlock workspace every tool acts in.
	Workspace string
	// Addr is shown in transport errors, so a human can tell which server
	// was unreachable.
	Addr string
	// SessionID groups this bridge's actions for the policy's session
	// totals (default: a random id per bridge).
	SessionID string
	// Labels are sent with every action, for the policy.
	Labels map[string]string
	// AwaitTimeout is how long a tool call waits for humans to decide an
	// escalated action before returning its id (default 10m).
	AwaitTimeout time.Duration
	// ProgressEvery is the interval of progress notifications while
	// waiting (default 15s): MCP clients abort calls that stay silent too
	// long.
	ProgressEvery time.Duration
	// Retries is how many times a call is retried after the server was
	// unavailable (default 2; each call carries its own idempotency key, so
	// a retry never executes an action twice). Negative means none.
	Retries int
	// Version is reported to MCP clients.
	Version string
}

func (c *Config) complete() error {
	if c.Workspace == "" {
		return errors.New("mcp: no workspace (set --workspace or AIRLOCK_WORKSPACE)")
	}
	if c.SessionID == "" {
		c.SessionID = "mcp-" + client.NewIdempotencyKey()[3:19]
	}
	if c.AwaitTimeout <= 0 {
		c.AwaitTimeout = 10 * time.Minute
	}
	if c.ProgressEvery <= 0 || c.ProgressEvery > 20*time.Second {
		c.ProgressEvery = 15 * time.Second
	}
	switch {
	case c.Retries == 0:
		c.Retries = 2
	case c.Retries < 0:
		c.Retries = 0
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	return nil
}

// bridge holds what every tool handler needs.
type bridge struct {
	c    *client.Client
	conf Config
}

// instructions tell the model how the tools behave, once, at initialize.
const instructions = `Every tool here acts through Airlock, which checks each action against the
platform team's policy before it runs. An action is either executed, denied
(a tool error listing the policy's reasons: change the request to satisfy
them, do not try to get around them by other means), or escalated to human
approvers (the call waits for their decision, or returns an action_id to pass
to await_approval). Give a short "intent" with each call: policies and
approvers see it. Paths are relative to the workspace root.`

// NewServer builds the MCP server over c. It does not contact Airlock:
// a server that is down shows up as a transport error in each tool call.
func NewServer(c *client.Client, conf Config) (*sdk.Server, error) {
	if c == nil {
		return nil, errors.New("mcp: no client")
	}
	if err := conf.complete(); err != nil {
		return nil, err
	}
	b := &bridge{c: c, conf: conf}
	s := sdk.NewServer(&sdk.Implementation{Name: "airlock", Title: "Airlock", Version: conf.Version}, &sdk.ServerOptions{
		Instructions: instructions,
		Capabilities: &sdk.ServerCapabilities{},
	})
	if err := b.addTools(s); err != nil {
		return nil, fmt.Errorf("mcp: %w", err)
	}
	return s, nil
}
