package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// Client is a connection to one Airlock server. It is safe for concurrent
// use.
type Client struct {
	conn *grpc.ClientConn
	opts Options
	// Agent is the generated agent API, for calls the typed methods do not
	// cover.
	Agent airlockv1.AgentServiceClient
	// Approvals is the generated approver API; it needs a human principal's
	// token.
	Approvals airlockv1.ApprovalServiceClient
	// Audit reads the audit trail (humans with the auditor or admin role).
	Audit airlockv1.AuditServiceClient
	// Policy is the policy-operations API (humans with policy-admin or admin).
	Policy airlockv1.PolicyServiceClient
}

// Options configures Dial.
type Options struct {
	// Token is the bearer token sent with every call.
	Token string
	// TLS, when set, secures the connection. Without it the connection is
	// plaintext, which Dial allows only for loopback addresses and unix
	// sockets unless Insecure is set.
	TLS credentials.TransportCredentials
	// Insecure allows plaintext to a non-loopback address, sending the token
	// in the clear. Meant for test networks only.
	Insecure bool
	// Retries is how many times Submit retries after UNAVAILABLE when a call
	// does not say (WithRetries). With retries, a call without an idempotency
	// key gets a random one, so a retry never executes an action twice.
	Retries int
	// Backoff shapes the waits between retries and between re-opened watch
	// streams.
	Backoff Backoff
	// PollInterval is how often Await asks for the action's state when the
	// server has no WatchAction (default 1s).
	PollInterval time.Duration
	// MaxMessageBytes is the largest response accepted (default 32 MiB, the
	// server's default limit).
	MaxMessageBytes int
	// DialOptions are appended to the client's own.
	DialOptions []grpc.DialOption
}

// Backoff is exponential backoff with full jitter: the n-th wait is uniform
// in [0, min(Max, Base·2ⁿ)].
type Backoff struct {
	// Base is the first ceiling (default 100ms).
	Base time.Duration
	// Max caps the ceiling (default 5s).
	Max time.Duration
}

// ErrPlaintextRemote is returned by Dial for a plaintext connection to a
// non-loopback address without Options.Insecure.
var ErrPlaintextRemote = errors.New("refusing to send a token without TLS to a non-loopback address (set TLS, or Insecure for test networks)")

// Dial prepares a connection to target: "host:port", "unix:///path/to.sock",
// or any gRPC target name. It does not wait for the server: a server that is
// down shows up as an UNAVAILABLE error on the first call.
func Dial(target string, o Options) (*Client, error) {
	if o.TLS == nil && !o.Insecure && !loopback(target) {
		return nil, fmt.Errorf("airlock client: dial %q: %w", target, ErrPlaintextRemote)
	}
	if o.Backoff.Base <= 0 {
		o.Backoff.Base = 100 * time.Millisecond
	}
	if o.Backoff.Max <= 0 {
		o.Backoff.Max = 5 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 32 << 20
	}
	creds := o.TLS
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithPerRPCCredentials(bearer{token: o.Token, secure: o.TLS != nil}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(o.MaxMessageBytes), grpc.MaxCallSendMsgSize(o.MaxMessageBytes)),
	}, o.DialOptions...)
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("airlock client: dial %q: %w", target, err)
	}
	return &Client{
		conn:      conn,
		opts:      o,
		Agent:     airlockv1.NewAgentServiceClient(conn),
		Approvals: airlockv1.NewApprovalServiceClient(conn),
		Audit:     airlockv1.NewAuditServiceClient(conn),
		Policy:    airlockv1.NewPolicyServiceClient(conn),
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// loopback reports whether target names a unix socket or a loopback host,
// where plaintext cannot be read by anyone else on the network.
func loopback(target string) bool {
	if strings.HasPrefix(target, "unix:") || strings.HasPrefix(target, "unix-abstract:") {
		return true
	}
	for _, scheme := range []string{"dns:///", "passthrough:///"} {
		target = strings.TrimPrefix(target, scheme)
	}
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		host = target
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// bearer attaches "authorization: Bearer <token>" to every call.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity follows the connection: Dial has already refused
// plaintext to remote hosts, so loopback and unix sockets work without TLS.
func (b bearer) RequireTransportSecurity() bool { return b.secure }
