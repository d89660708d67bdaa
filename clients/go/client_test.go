package client_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/clients/go/clienttest"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

func dial(t *testing.T, target, token string, o ...func(*client.Options)) *client.Client {
	t.Helper()
	opts := client.Options{Token: token}
	for _, f := range o {
		f(&opts)
	}
	c, err := client.Dial(target, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDialPlaintextOnlyToLoopback(t *testing.T) {
	cases := []struct {
		name    string
		target  string
		opts    client.Options
		refused bool
	}{
		{name: "ipv4 loopback", target: "127.0.0.1:7443"},
		{name: "other 127/8 address", target: "127.0.0.2:7443"},
		{name: "localhost", target: "localhost:7443"},
		{name: "ipv6 loopback", target: "[::1]:7443"},
		{name: "unix socket", target: "unix:///run/airlock.sock"},
		{name: "dns scheme loopback", target: "dns:///localhost:7443"},
		{name: "private address", target: "10.0.0.1:7443", refused: true},
		{name: "host name", target: "airlock.example.com:443", refused: true},
		{name: "dns scheme remote", target: "dns:///airlock.example.com:443", refused: true},
		{name: "localhost lookalike", target: "localhost.example.com:443", refused: true},
		{name: "remote with TLS", target: "airlock.example.com:443", opts: client.Options{TLS: credentials.NewClientTLSFromCert(nil, "")}},
		{name: "remote with explicit insecure", target: "10.0.0.1:7443", opts: client.Options{Insecure: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := client.Dial(tc.target, tc.opts)
			if tc.refused {
				if !errors.Is(err, client.ErrPlaintextRemote) {
					t.Fatalf("err = %v, want ErrPlaintextRemote", err)
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

// TestTypedMethods drives every typed method against the real server and
// the example policies, over TCP and the unix socket.
func TestTypedMethods(t *testing.T) {
	srv := clienttest.Start(t)
	ctx := context.Background()
	for _, target := range []string{srv.Addr, "unix://" + srv.Socket} {
		c := dial(t, target, clienttest.AgentToken)
		dir := "src/typed" + strings.ReplaceAll(strings.ReplaceAll(target, "/", "_"), ":", "_")
		cases := []struct {
			name   string
			do     func() (*airlockv1.ActionRecord, error)
			status airlockv1.ActionStatus
			check  func(t *testing.T, rec *airlockv1.ActionRecord)
		}{
			{name: "make dir", do: func() (*airlockv1.ActionRecord, error) { return c.MakeDir(ctx, "dev", dir) },
				status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED},
			{name: "write", do: func() (*airlockv1.ActionRecord, error) {
				return c.WriteFile(ctx, "dev", dir+"/a.txt", []byte("alpha\nbeta\n"), client.CreateOnly(), client.FileMode(0o600))
			}, status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := srv.Read(dir + "/a.txt"); got != "alpha\nbeta\n" {
					t.Errorf("file = %q", got)
				}
			}},
			{name: "read range", do: func() (*airlockv1.ActionRecord, error) {
				return c.ReadFile(ctx, "dev", dir+"/a.txt", client.ReadRange(6, 4))
			},
				status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
					if r := rec.GetResult().GetReadFile(); string(r.GetContent()) != "beta" || !r.GetTruncated() {
						t.Errorf("read = %q truncated %v", r.GetContent(), r.GetTruncated())
					}
				}},
			{name: "edit all", do: func() (*airlockv1.ActionRecord, error) {
				return c.EditFile(ctx, "dev", dir+"/a.txt", "a", "A", client.ReplaceAll(), client.WithIntent("shout"))
			}, status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := srv.Read(dir + "/a.txt"); got != "AlphA\nbetA\n" {
					t.Errorf("file = %q", got)
				}
				if rec.GetIntent() != "shout" {
					t.Errorf("intent = %q", rec.GetIntent())
				}
			}},
			{name: "move", do: func() (*airlockv1.ActionRecord, error) { return c.MoveFile(ctx, "dev", dir+"/a.txt", dir+"/b.txt") },
				status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
					if srv.Read(dir+"/a.txt") != "<missing>" || srv.Read(dir+"/b.txt") == "<missing>" {
						t.Error("not moved")
					}
				}},
			{name: "list", do: func() (*airlockv1.ActionRecord, error) {
				return c.ListDir(ctx, "dev", dir, client.Recursive(2), client.MaxEntries(10))
			},
				status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
					es := rec.GetResult().GetListDir().GetEntries()
					if len(es) != 1 || es[0].GetPath() != dir+"/b.txt" {
						t.Errorf("entries = %v", es)
					}
				}},
			{name: "patch", do: func() (*airlockv1.ActionRecord, error) {
				return c.ApplyPatch(ctx, "dev", "--- a/"+dir+"/b.txt\n+++ b/"+dir+"/b.txt\n@@ -1,2 +1,2 @@\n AlphA\n-betA\n+gamma\n")
			}, status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := srv.Read(dir + "/b.txt"); got != "AlphA\ngamma\n" {
					t.Errorf("file = %q", got)
				}
			}},
			{name: "script", do: func() (*airlockv1.ActionRecord, error) {
				return c.ExecScript(ctx, "dev", "cat b.txt | wc -l", client.InDir(dir), client.Shell("bash"), client.Env(map[string]string{"X": "1"}))
			}, status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := strings.TrimSpace(string(rec.GetResult().GetExec().GetStdout())); got != "2" {
					t.Errorf("stdout = %q (stderr %q)", got, rec.GetResult().GetExec().GetStderr())
				}
			}},
			{name: "exec with stdin", do: func() (*airlockv1.ActionRecord, error) {
				return c.Exec(ctx, "dev", []string{"wc", "-c"}, client.Stdin([]byte("12345")))
			}, status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
				if got := strings.TrimSpace(string(rec.GetResult().GetExec().GetStdout())); got != "5" {
					t.Errorf("stdout = %q", got)
				}
			}},
			{name: "delete", do: func() (*airlockv1.ActionRecord, error) { return c.DeleteFile(ctx, "dev", dir+"/b.txt") },
				status: airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
					if srv.Read(dir+"/b.txt") != "<missing>" {
						t.Error("not deleted")
					}
				}},
			{name: "delete secret denied", do: func() (*airlockv1.ActionRecord, error) { return c.DeleteFile(ctx, "dev", ".env") },
				status: airlockv1.ActionStatus_ACTION_STATUS_DENIED, check: func(t *testing.T, rec *airlockv1.ActionRecord) {
					if !client.IsDenied(rec) || srv.Read(".env") == "<missing>" {
						t.Error("secret deleted or not reported as denied")
					}
				}},
		}
		for _, tc := range cases {
			t.Run(target+"/"+tc.name, func(t *testing.T) {
				rec, err := tc.do()
				if err != nil {
					t.Fatalf("err = %v (reason %s)", err, client.Reason(err))
				}
				if rec.GetStatus() != tc.status {
					t.Fatalf("status = %v, want %v (reasons %v)", rec.GetStatus(), tc.status, rec.GetDecision().GetReasons())
				}
				if tc.check != nil {
					tc.check(t, rec)
				}
			})
		}
	}
}

func TestEvaluateExecutesNothing(t *testing.T) {
	c := dial(t, srv.Addr, clienttest.AgentToken)
	resp, err := c.Evaluate(context.Background(), "dev", client.WriteFileAction("src/eval.txt", []byte("x")), client.WithLabels(map[string]string{"k": "v"}))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetDecision().GetEffect() != airlockv1.Effect_EFFECT_ALLOW || resp.GetPlan().GetDigest() == "" {
		t.Errorf("evaluate = %v", resp)
	}
	if srv.Read("src/eval.txt") != "<missing>" {
		t.Error("evaluate wrote the file")
	}
}

func TestOptionForWrongKindFailsBeforeSending(t *testing.T) {
	var calls atomic.Int32
	c := dial(t, srv.Addr, clienttest.AgentToken, func(o *client.Options) {
		o.DialOptions = append(o.DialOptions, grpc.WithUnaryInterceptor(counting(&calls)))
	})
	cases := []struct {
		name string
		do   func() error
		want string
	}{
		{name: "replace all on read", do: func() error {
			_, err := c.ReadFile(context.Background(), "dev", "README.md", client.ReplaceAll())
			return err
		}, want: "ReplaceAll does not apply to a read_file action"},
		{name: "read range on exec", do: func() error {
			_, err := c.Exec(context.Background(), "dev", []string{"ls"}, client.ReadRange(1, 1))
			return err
		}, want: "ReadRange does not apply to a exec action"},
		{name: "nil action", do: func() error {
			_, err := c.Submit(context.Background(), "dev", nil)
			return err
		}, want: "no action"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d calls reached the server", n)
	}
}

func counting(n *atomic.Int32) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		n.Add(1)
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestRetries(t *testing.T) {
	fast := func(o *client.Options) { o.Backoff = client.Backoff{Base: time.Millisecond, Max: 2 * time.Millisecond} }
	cases := []struct {
		name     string
		target   string
		opts     []client.Opt
		attempts int32
		code     codes.Code
		keyed    bool
	}{
		{name: "server down, no retries", target: deadAddr(t), attempts: 1, code: codes.Unavailable},
		{name: "server down, retried with a generated key", target: deadAddr(t), opts: []client.Opt{client.WithRetries(3)}, attempts: 4, code: codes.Unavailable, keyed: true},
		{name: "refusal is not retried", target: srv.Addr, opts: []client.Opt{client.WithRetries(3)}, attempts: 1, code: codes.NotFound, keyed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			var mu sync.Mutex
			var keys []string
			c := dial(t, tc.target, clienttest.AgentToken, fast, func(o *client.Options) {
				o.DialOptions = append(o.DialOptions, grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
					calls.Add(1)
					mu.Lock()
					keys = append(keys, req.(*airlockv1.SubmitRequest).GetRequest().GetIdempotencyKey())
					mu.Unlock()
					return invoker(ctx, method, req, reply, cc, opts...)
				}))
			})
			_, err := c.ReadFile(context.Background(), "dev", "src/not-there.go", tc.opts...)
			if status.Code(err) != tc.code {
				t.Fatalf("code = %v (%v), want %v", status.Code(err), err, tc.code)
			}
			if tc.code == codes.Unavailable && !client.IsTransport(err) {
				t.Errorf("IsTransport(%v) = false", err)
			}
			if n := calls.Load(); n != tc.attempts {
				t.Errorf("attempts = %d, want %d", n, tc.attempts)
			}
			for _, k := range keys {
				if tc.keyed && (k == "" || k != keys[0]) || !tc.keyed && k != "" {
					t.Errorf("keys = %v (keyed %v)", keys, tc.keyed)
				}
			}
		})
	}
}

// TestRetryAfterLostAnswerExecutesOnce loses the answer of a Submit that
// reached the server: the retry, with the same key, gets the first answer
// and the edit happens once.
func TestRetryAfterLostAnswerExecutesOnce(t *testing.T) {
	srv := clienttest.Start(t)
	var calls atomic.Int32
	c := dial(t, srv.Addr, clienttest.AgentToken, func(o *client.Options) {
		o.Backoff = client.Backoff{Base: time.Millisecond, Max: time.Millisecond}
		o.DialOptions = append(o.DialOptions, grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			err := invoker(ctx, method, req, reply, cc, opts...)
			if calls.Add(1) == 1 {
				return status.Error(codes.Unavailable, "connection reset (simulated)")
			}
			return err
		}))
	})
	ctx := context.Background()
	if _, err := dial(t, srv.Addr, clienttest.AgentToken).WriteFile(ctx, "dev", "src/once.txt", []byte("x\n")); err != nil {
		t.Fatal(err)
	}
	rec, err := c.EditFile(ctx, "dev", "src/once.txt", "x", "xx", client.WithRetries(2))
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("calls = %d, want 2 (lost edit, retried edit)", calls.Load())
	}
	if got := srv.Read("src/once.txt"); got != "xx\n" {
		t.Errorf("file = %q: the edit ran twice or not at all", got)
	}
	if rec.GetStatus() != airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED {
		t.Errorf("status = %v", rec.GetStatus())
	}
}

func TestRetriesStopWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	c := dial(t, deadAddr(t), clienttest.AgentToken, func(o *client.Options) {
		o.Backoff = client.Backoff{Base: time.Hour, Max: time.Hour}
		o.DialOptions = append(o.DialOptions, grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			calls.Add(1)
			defer cancel() // the caller gives up while the client backs off
			return invoker(ctx, method, req, reply, cc, opts...)
		}))
	})
	done := make(chan error, 1)
	go func() {
		_, err := c.ReadFile(ctx, "dev", "README.md", client.WithRetries(5))
		done <- err
	}()
	select {
	case err := <-done:
		if status.Code(err) != codes.Unavailable || calls.Load() != 1 {
			t.Errorf("err = %v after %d calls", err, calls.Load())
		}
	case <-time.After(time.Minute):
		t.Fatal("retry loop ignored the cancelled context")
	}
}
