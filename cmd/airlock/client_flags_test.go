package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	client "github.com/airlock-dev/airlock/clients/go"
)

func TestAgentFlagsToken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		flags   agentFlags
		env     string
		want    string
		wantErr string
	}{
		{name: "flag wins", flags: agentFlags{token: "from-flag", tokenFile: file}, env: "from-env", want: "from-flag"},
		{name: "file before env", flags: agentFlags{tokenFile: file}, env: "from-env", want: "from-file"},
		{name: "env", env: "from-env", want: "from-env"},
		{name: "none", wantErr: "no token"},
		{name: "unreadable file", flags: agentFlags{tokenFile: filepath.Join(t.TempDir(), "missing")}, wantErr: "--token-file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AIRLOCK_TOKEN", tc.env)
			got, err := tc.flags.resolveToken()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("token = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestAgentFlagsDial(t *testing.T) {
	cases := []struct {
		name    string
		flags   agentFlags
		wantErr string
	}{
		{name: "loopback plaintext", flags: agentFlags{addr: "127.0.0.1:7443", workspace: "dev", token: "t"}},
		{name: "unix socket", flags: agentFlags{addr: "unix:///run/airlock.sock", workspace: "dev", token: "t"}},
		{name: "remote with TLS", flags: agentFlags{addr: "airlock.example.com:443", workspace: "dev", token: "t", tls: true}},
		{name: "remote plaintext refused", flags: agentFlags{addr: "airlock.example.com:443", workspace: "dev", token: "t"}, wantErr: "refusing"},
		{name: "missing CA file", flags: agentFlags{addr: "airlock.example.com:443", workspace: "dev", token: "t", tlsCA: "/nonexistent/ca.pem"}, wantErr: "--tls-ca"},
		{name: "no workspace", flags: agentFlags{addr: "127.0.0.1:7443", token: "t"}, wantErr: "no workspace"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.flags.dial(client.Options{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		})
	}
}

func TestParsePairs(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want map[string]string
		err  bool
	}{
		{name: "none", in: nil, want: nil},
		{name: "pairs", in: []string{"a=1", "b=x=y", "c="}, want: map[string]string{"a": "1", "b": "x=y", "c": ""}},
		{name: "no equals", in: []string{"a"}, err: true},
		{name: "empty key", in: []string{"=1"}, err: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePairs("--label", tc.in)
			if (err != nil) != tc.err || len(got) != len(tc.want) {
				t.Fatalf("got %v, %v", got, err)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
