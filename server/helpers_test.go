package server_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/airlock-dev/airlock/auth"
	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/config"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/sandbox"
	"github.com/airlock-dev/airlock/server"
	"github.com/airlock-dev/airlock/store/pgtest"
)

func TestMain(m *testing.M) {
	sandbox.MaybeRunLauncher()
	pgtest.Main(m)
}

// env is a running server on loopback with the example policies.
type env struct {
	t         testing.TB
	dir       string
	ws        string // workspace root on disk
	addr      string
	app       *server.App
	logs      *observer.ObservedLogs
	agent     *client.Client
	human     *client.Client
	cfgPath   string
	cancel    context.CancelFunc
	stopped   chan error
	policyDir string
	opts      []server.Option
}

type envOpts struct {
	// policy replaces the example policies with these files.
	policy map[string]string
	// extraYAML is appended to the config.
	extraYAML string
	// principals are appended to the principals list (YAML items).
	principals string
	// onBehalfOf is the agent's user (default alice).
	onBehalfOf string
	// sandboxed prepares the workspace for commands: a root server runs
	// them as the workspace's owner and refuses root-owned workspaces.
	sandboxed bool
}

const (
	agentToken = "agent-secret-token"
	aliceToken = "alice-secret-token"
	bobToken   = "bob-secret-token"
)

// startEnv writes a config, a workspace and policies under t.TempDir(),
// builds the app and serves it on 127.0.0.1:0.
func startEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	return startEnvWith(t, o)
}

func startEnvWith(t testing.TB, o envOpts, opts ...server.Option) *env {
	t.Helper()
	if o.onBehalfOf == "" {
		o.onBehalfOf = "alice"
	}
	dir := t.TempDir()
	e := &env{t: t, dir: dir, ws: filepath.Join(dir, "ws"), policyDir: filepath.Join(dir, "policies")}
	writeTree(t, e.ws, map[string]string{
		"src/app.go":          "package app\n\nfunc Hello() string { return \"hello\" }\n",
		"tests/app_test.go":   "package app\n",
		"deploy/service.yaml": "replicas: 3\n",
		".env":                "API_KEY=secret\n",
		"README.md":           "# demo\n",
		"notes/todo.txt":      "one\ntwo\nthree\n",
		"notes/patchme.txt":   "one\ntwo\nthree\n",
		"src/package.json":    "{}\n",
		"go.mod":              "module example.com/demo\n",
	})
	if o.sandboxed && os.Geteuid() == 0 {
		giveToNobody(t, dir, e.ws)
	}
	if o.policy == nil {
		copyDir(t, filepath.Join("..", "examples", "policies"), e.policyDir)
	} else {
		writeTree(t, e.policyDir, o.policy)
	}
	cfg := fmt.Sprintf(`
listen:
  address: 127.0.0.1:0
store:
  path: %s
policy:
  dir: %s
workspaces:
  - name: dev
    root: %s
    environment: dev
  - name: prod
    root: %s
    environment: prod
principals:
  - id: agent-1
    kind: agent
    token_sha256: %s
    roles: [agent]
    on_behalf_of: %s
  - id: alice
    kind: human
    token_sha256: %s
    roles: [developer]
  - id: bob
    kind: human
    token_sha256: %s
    roles: [senior, approver]
%s%s`, filepath.Join(dir, "airlock.db"), e.policyDir, e.ws, e.ws,
		hashToken(agentToken), o.onBehalfOf, hashToken(aliceToken), hashToken(bobToken), o.principals, o.extraYAML)
	e.cfgPath = filepath.Join(dir, "airlock.yaml")
	if err := os.WriteFile(e.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e.opts = opts
	e.start()
	return e
}

func (e *env) start() {
	t := e.t
	t.Helper()
	cfg, err := config.Load(e.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	e.logs = logs
	app, err := server.Build(context.Background(), cfg, zap.New(core), e.opts...)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	e.app = app
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = l.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.stopped = make(chan error, 1)
	go func() { e.stopped <- app.Serve(ctx, []net.Listener{l}) }()
	e.agent = e.dial(agentToken)
	e.human = e.dial(aliceToken)
	t.Cleanup(e.stop)
}

func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.agent.Close()
	e.human.Close()
	e.cancel()
	if err := <-e.stopped; err != nil {
		e.t.Errorf("serve: %v", err)
	}
	if err := e.app.Close(); err != nil {
		e.t.Errorf("close: %v", err)
	}
	e.cancel = nil
}

// conn is a raw connection carrying token, for services the Go client
// does not wrap.
func (e *env) conn(token string) *grpc.ClientConn {
	c, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), method, req, reply, cc, opts...)
		}))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) dial(token string) *client.Client {
	c, err := client.Dial(e.addr, client.Options{Token: token})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// submit sends one action as the agent to workspace ws.
func (e *env) submit(ws string, a *airlockv1.Action, mods ...func(*airlockv1.ActionRequest)) (*airlockv1.ActionRecord, error) {
	req := &airlockv1.ActionRequest{Workspace: ws, Action: a, Intent: "test", SessionId: "s1"}
	for _, m := range mods {
		m(req)
	}
	resp, err := e.agent.Agent.Submit(context.Background(), &airlockv1.SubmitRequest{Request: req})
	return resp.GetAction(), err
}

func (e *env) read(rel string) string {
	raw, err := os.ReadFile(filepath.Join(e.ws, rel))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "<missing>"
		}
		e.t.Fatal(err)
	}
	return string(raw)
}

// errInfo returns the error's code and ErrorInfo reason and metadata.
func errInfo(t *testing.T, err error) (codes.Code, string, map[string]string) {
	t.Helper()
	st := status.Convert(err)
	for _, d := range st.Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok {
			if ei.GetDomain() != server.ErrorDomain {
				t.Errorf("ErrorInfo domain = %q", ei.GetDomain())
			}
			return st.Code(), ei.GetReason(), ei.GetMetadata()
		}
	}
	return st.Code(), "", nil
}

func writeTree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func copyDir(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), raw, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func hashToken(tok string) string { return auth.HashToken(tok) }

// giveToNobody hands the workspace to an unprivileged user and makes the
// directories above it traversable, as a root server's workspace must be.
func giveToNobody(t testing.TB, dir, ws string) {
	t.Helper()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir(ws, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	})
	if err != nil {
		t.Fatal(err)
	}
}
