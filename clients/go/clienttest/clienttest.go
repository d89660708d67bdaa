// Package clienttest starts a real Airlock server on loopback for the tests
// of clients (the Go client, the MCP bridge, the CLI): the example policies,
// a small workspace in a temporary directory, an agent and two humans.
//
// It owns nothing but test set-up, and must never be imported by non-test
// code. A test binary whose server runs commands must call
// sandbox.MaybeRunLauncher first thing in TestMain, because the command
// sandbox re-executes the current binary as its launcher.
package clienttest

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

	"github.com/airlock-dev/airlock/auth"
	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/examples"
	"github.com/airlock-dev/airlock/server"
)

// The principals of the test config.
const (
	// AgentToken is agent "agent-1", acting for alice.
	AgentToken = "agent-secret-token"
	// AliceToken is human "alice" (developer).
	AliceToken = "alice-secret-token"
	// BobToken is human "bob" (senior, approver): one vote approves a dev
	// escalation.
	BobToken = "bob-secret-token"
)

// Files is the initial workspace content, by slash path.
var Files = map[string]string{
	"src/app.go":          "package app\n\nfunc Hello() string { return \"hello\" }\n",
	"tests/app_test.go":   "package app\n",
	"deploy/service.yaml": "replicas: 3\n",
	".env":                "API_KEY=secret\n",
	"README.md":           "# demo\n",
	"notes/todo.txt":      "one\ntwo\nthree\n",
}

// Server is a running Airlock. Workspaces "dev" and "prod" share one root.
type Server struct {
	// Addr is the TCP address ("127.0.0.1:port").
	Addr string
	// Socket is the unix socket path; dial "unix://" + Socket.
	Socket string
	// Root is the workspace directory on disk.
	Root string
	// Dir holds the config, policies, database and workspace.
	Dir string
	// Config is the config file.
	Config string

	app     *server.App
	cancel  context.CancelFunc
	stopped chan error
}

// Start starts a server under tb.TempDir and stops it at cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("clienttest: %v", err)
		}
	})
	return s
}

// New starts a server with everything under dir, which must exist; for
// TestMain, where there is no testing.TB.
func New(dir string) (*Server, error) {
	s, err := Prepare(dir)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(s.Config)
	if err != nil {
		return nil, err
	}
	app, err := server.Build(context.Background(), cfg, zap.NewNop())
	if err != nil {
		return nil, fmt.Errorf("clienttest: build: %w", err)
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		app.Close()
		return nil, err
	}
	// Unix socket paths are short (108 bytes): keep it out of deep temp dirs.
	sockDir, err := os.MkdirTemp("", "al-")
	if err != nil {
		tcp.Close()
		app.Close()
		return nil, err
	}
	s.Socket = filepath.Join(sockDir, "a.sock")
	unix, err := net.Listen("unix", s.Socket)
	if err != nil {
		tcp.Close()
		app.Close()
		return nil, err
	}
	s.Addr, s.app = tcp.Addr().String(), app
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.stopped = cancel, make(chan error, 1)
	go func() { s.stopped <- app.Serve(ctx, []net.Listener{tcp, unix}) }()
	return s, nil
}

// Prepare writes the workspace, policies and config under dir without
// starting anything: for serving them with the airlock binary (ServeBinary).
func Prepare(dir string) (*Server, error) {
	s := &Server{Dir: dir, Root: filepath.Join(dir, "ws"), Config: filepath.Join(dir, "airlock.yaml")}
	if err := s.writeFiles(); err != nil {
		return nil, err
	}
	return s, nil
}

// Close stops the server and releases its store.
func (s *Server) Close() error {
	if s.cancel == nil {
		return nil
	}
	if s.app == nil { // served by a process: ServeBinary's cleanup stops it
		return nil
	}
	s.cancel()
	s.cancel = nil
	err := <-s.stopped
	os.RemoveAll(filepath.Dir(s.Socket))
	return errors.Join(err, s.app.Close())
}

// Read returns a workspace file's content, or "<missing>".
func (s *Server) Read(rel string) string {
	raw, err := os.ReadFile(filepath.Join(s.Root, filepath.FromSlash(rel)))
	if err != nil {
		return "<missing>"
	}
	return string(raw)
}

func (s *Server) writeFiles() error {
	for p, c := range Files {
		full := filepath.Join(s.Root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			return err
		}
	}
	if os.Geteuid() == 0 {
		if err := giveToNobody(s.Dir, s.Root); err != nil {
			return err
		}
	}
	policies := filepath.Join(s.Dir, "policies")
	if err := copyPolicies(policies); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`
listen:
  address: 127.0.0.1:0
store:
  path: %q
policy:
  dir: %q
workspaces:
  - name: dev
    root: %q
    environment: dev
  - name: prod
    root: %q
    environment: prod
principals:
  - id: agent-1
    kind: agent
    token_sha256: %s
    roles: [agent]
    on_behalf_of: alice
  - id: alice
    kind: human
    token_sha256: %s
    roles: [developer]
  - id: bob
    kind: human
    token_sha256: %s
    roles: [senior, approver]
`, filepath.Join(s.Dir, "airlock.db"), policies, s.Root, s.Root,
		auth.HashToken(AgentToken), auth.HashToken(AliceToken), auth.HashToken(BobToken))
	return os.WriteFile(s.Config, []byte(cfg), 0o600)
}

// copyPolicies writes the embedded example policies to dir.
func copyPolicies(dir string) error {
	return fs.WalkDir(examples.FS, "policies", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("policies", filepath.FromSlash(p))
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		raw, err := examples.FS.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, raw, 0o644)
	})
}

// giveToNobody prepares the workspace for commands under a root server,
// which runs them as the workspace's owner and refuses a root-owned one.
func giveToNobody(dir, ws string) error {
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			return err
		}
	}
	return filepath.WalkDir(ws, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	})
}
