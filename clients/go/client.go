// Package client is the Go client for Airlock's gRPC API: it dials with a
// bearer token and exposes the generated service clients.
package client

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// Client is a connection to one Airlock server.
type Client struct {
	conn  *grpc.ClientConn
	Agent airlockv1.AgentServiceClient
}

// Options configures Dial.
type Options struct {
	// Token is the bearer token.
	Token string
	// TLS, when set, is used for the connection; otherwise plaintext, which
	// is meant for loopback and unix sockets.
	TLS credentials.TransportCredentials
	// DialOptions are appended.
	DialOptions []grpc.DialOption
}

// Dial connects to target ("127.0.0.1:7443", "unix:///run/airlock.sock").
func Dial(target string, o Options) (*Client, error) {
	creds := o.TLS
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithPerRPCCredentials(bearer{token: o.Token, secure: o.TLS != nil}),
	}, o.DialOptions...)
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("airlock client: %w", err)
	}
	return &Client{conn: conn, Agent: airlockv1.NewAgentServiceClient(conn)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// bearer attaches "authorization: Bearer <token>" to every call.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity is false so that loopback and unix sockets work
// without TLS; the server refuses plaintext on other addresses.
func (b bearer) RequireTransportSecurity() bool { return b.secure }
