package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Timeouts. startWait bounds the readiness poll; stopWait bounds an
// immediate shutdown before the server is killed.
const (
	startWait = 60 * time.Second
	stopWait  = 15 * time.Second
	superuser = "pgtest"
)

// Server is one running PostgreSQL cluster owned by this process.
type Server struct {
	dir      string // temporary root: data/, sock/, log
	durable  bool
	port     int
	password string

	cmd    *exec.Cmd
	exited chan struct{} // closed when the postmaster has been reaped
	logBuf *os.File

	mu    sync.Mutex
	admin *pgx.Conn
	next  int

	stopOnce sync.Once
	stopErr  error
}

// ServerOption configures NewServer.
type ServerOption func(*serverConfig)

type serverConfig struct {
	durable bool
}

// Durable keeps fsync and synchronous commit on, for benchmarks that
// compare against a store that syncs every commit. Without it the server
// trades crash safety (irrelevant for a throwaway cluster) for speed.
func Durable() ServerOption { return func(c *serverConfig) { c.durable = true } }

// NewServer starts a dedicated server; the caller must Stop it. Most tests
// want Start (a database on the shared server) instead.
func NewServer(ctx context.Context, opts ...ServerOption) (*Server, error) {
	var sc serverConfig
	for _, o := range opts {
		o(&sc)
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: temp dir: %w", err)
	}
	s := &Server{dir: dir, password: randomHex(16), exited: make(chan struct{}), durable: sc.durable}
	if err := s.setup(ctx, bin, cred); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	// The free port is found by binding and releasing it, so another
	// process can take it in between; a few attempts make that harmless.
	for attempt := 1; ; attempt++ {
		err = s.start(ctx, bin, cred)
		if err == nil {
			return s, nil
		}
		if attempt == 3 || ctx.Err() != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
}

// runAs returns the credential to run PostgreSQL with: nil when not root,
// else the postgres user (nobody as a fall-back), because the server
// refuses to run as root.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, errors.New("pgtest: running as root and neither user postgres nor nobody exists to run PostgreSQL as")
}

// setup makes the directory tree, hands it to the server's user and runs
// initdb with a password for TCP logins.
func (s *Server) setup(ctx context.Context, bin string, cred *syscall.Credential) error {
	if cred != nil {
		if err := checkTraversable(s.dir); err != nil {
			return err
		}
	}
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("pgtest: write password file: %w", err)
	}
	if err := os.Mkdir(filepath.Join(s.dir, "sock"), 0o700); err != nil {
		return fmt.Errorf("pgtest: socket dir: %w", err)
	}
	if cred != nil {
		for _, p := range []string{s.dir, pwfile, filepath.Join(s.dir, "sock")} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return fmt.Errorf("pgtest: hand %s to uid %d: %w", p, cred.Uid, err)
			}
		}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", filepath.Join(s.dir, "data"), "-U", superuser, "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
	cmd.Dir = s.dir
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	_ = os.Remove(pwfile)
	if err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	return nil
}

// checkTraversable fails early, with a useful message, when the server's
// user could not reach its own directory because a parent is closed to
// others (a private TMPDIR).
func checkTraversable(dir string) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgtest: stat %s: %w", p, err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("pgtest: %s is not searchable by other users, so PostgreSQL (not run as root) cannot reach %s; set TMPDIR to a directory under one that is (such as /tmp)", p, dir)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func childEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "TZ=UTC"}
}

// start runs the postmaster as a direct child on a fresh port and waits
// until it accepts a login. Pdeathsig kills it if this process dies without
// stopping it (a test timeout's panic), so no server outlives its tests.
func (s *Server) start(ctx context.Context, bin string, cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "log"), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("pgtest: log file: %w", err)
	}
	args := []string{
		"-D", filepath.Join(s.dir, "data"),
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + filepath.Join(s.dir, "sock"),
		"-c", "max_connections=300",
		"-c", "shared_buffers=64MB",
		"-c", "log_min_messages=warning",
	}
	if !s.durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = s.dir
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.port, s.cmd, s.exited, s.logBuf = port, cmd, exited, logf
	admin, err := s.waitReady(ctx)
	if err != nil {
		s.kill()
		_ = logf.Close()
		return fmt.Errorf("%w\n%s", err, s.logTail())
	}
	s.admin = admin
	return nil
}

// waitReady polls with a login until the server answers, it exits, or
// startWait passes. This is a readiness poll on an external process, the
// one place a loop with a pause is the right tool.
func (s *Server) waitReady(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, startWait)
	defer cancel()
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attempt, s.DSN("postgres"))
		cancelAttempt()
		if err == nil {
			return conn, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("pgtest: postgres exited during start-up: %w", err)
		case <-ctx.Done():
			return nil, fmt.Errorf("pgtest: postgres not ready after %v: %w", startWait, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather than returning short)
	return hex.EncodeToString(b)
}

// DSN returns a connection string for database db over loopback TCP.
func (s *Server) DSN(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, s.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port returns the TCP port the server listens on.
func (s *Server) Port() int { return s.port }

// Dir returns the temporary directory holding the cluster.
func (s *Server) Dir() string { return s.dir }

// NewDatabase creates an empty database for t and drops it (closing any
// connection left open) when t ends. It returns the database's DSN.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	s.next++
	name := fmt.Sprintf("t%d_%s", s.next, randomHex(4))
	s.mu.Unlock()
	if err := s.exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		err := s.exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		if err != nil && !errors.Is(err, errStopped) { // a stopped server took the database with it
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.DSN(name)
}

var errStopped = errors.New("pgtest: server stopped")

func (s *Server) exec(ctx context.Context, sql string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin == nil {
		return errStopped
	}
	_, err := s.admin.Exec(ctx, sql)
	return err
}

// Stop shuts the server down at once (SIGQUIT: what pg_ctl stop -m
// immediate sends; a test cluster needs no clean checkpoint) and deletes its
// files. Later calls return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		if s.admin != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = s.admin.Close(ctx)
			cancel()
			s.admin = nil
		}
		s.mu.Unlock()
		var errs []error
		if s.cmd != nil {
			_ = s.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-s.exited:
			case <-time.After(stopWait):
				errs = append(errs, fmt.Errorf("pgtest: postgres ignored SIGQUIT for %v; killed", stopWait))
				s.kill()
			}
			_ = s.logBuf.Close()
		}
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("pgtest: remove %s: %w", s.dir, err))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

func (s *Server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// logTail returns the end of the server log for error messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "log"))
	if err != nil {
		return ""
	}
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(bytes.TrimSpace(b))
}
