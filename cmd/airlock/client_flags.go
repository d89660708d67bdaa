package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"google.golang.org/grpc/credentials"

	client "github.com/airlock-dev/airlock/clients/go"
)

// agentFlags are the connection flags of the agent-side commands (submit,
// eval, mcp). Each falls back to an environment variable, so that a token
// need not appear in a process listing.
type agentFlags struct {
	addr, token, tokenFile, workspace string
	tls                               bool
	tlsCA, tlsServerName              string
}

func (f *agentFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.addr, "addr", agentEnv("AIRLOCK_ADDR", "127.0.0.1:7443"), "Airlock server: host:port or unix:///path/to.sock [$AIRLOCK_ADDR]")
	fs.StringVar(&f.token, "token", "", "the agent's bearer token (prefer $AIRLOCK_TOKEN or --token-file: flags show in process listings) [$AIRLOCK_TOKEN]")
	fs.StringVar(&f.tokenFile, "token-file", "", "read the bearer token from this file")
	fs.StringVarP(&f.workspace, "workspace", "w", agentEnv("AIRLOCK_WORKSPACE", ""), "Airlock workspace to act in [$AIRLOCK_WORKSPACE]")
	fs.BoolVar(&f.tls, "tls", false, "use TLS, verifying the server against the system's roots")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "use TLS, verifying the server against this PEM CA file")
	fs.StringVar(&f.tlsServerName, "tls-server-name", "", "server name to verify (default: the host in --addr)")
}

// resolveToken picks the token: flag, then file, then environment.
func (f *agentFlags) resolveToken() (string, error) {
	switch {
	case f.token != "":
		return f.token, nil
	case f.tokenFile != "":
		raw, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return "", fmt.Errorf("reading --token-file: %w", err)
		}
		return strings.TrimSpace(string(raw)), nil
	case os.Getenv("AIRLOCK_TOKEN") != "":
		return os.Getenv("AIRLOCK_TOKEN"), nil
	}
	return "", fmt.Errorf("no token: set AIRLOCK_TOKEN, or pass --token-file or --token")
}

// dial checks the flags and prepares a client; it does not contact the
// server.
func (f *agentFlags) dial(o client.Options) (*client.Client, error) {
	if f.workspace == "" {
		return nil, fmt.Errorf("no workspace: pass --workspace or set AIRLOCK_WORKSPACE")
	}
	tok, err := f.resolveToken()
	if err != nil {
		return nil, err
	}
	o.Token = tok
	switch {
	case f.tlsCA != "":
		creds, err := credentials.NewClientTLSFromFile(f.tlsCA, f.tlsServerName)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		o.TLS = creds
	case f.tls:
		o.TLS = credentials.NewTLS(&tls.Config{ServerName: f.tlsServerName, MinVersion: tls.VersionTLS12})
	}
	return client.Dial(f.addr, o)
}

func agentEnv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
