package mcp_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-dev/airlock/clients/go/clienttest"
	"github.com/airlock-dev/airlock/sandbox"
)

// bin is the airlock binary built for these tests: the bridge runs as a
// real subprocess, over a real stdio pipe. Each test starts its own Airlock
// server (clienttest.Start), so that tests can run repeatedly.
var bin string

func TestMain(m *testing.M) {
	sandbox.MaybeRunLauncher()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "airlock-mcp-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "airlock")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/airlock-dev/airlock/cmd/airlock").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// bridgeCmd is `airlock mcp` for the agent in workspace dev, with extra
// flags; the token comes from the environment, as documented.
func bridgeCmd(addr string, flags ...string) *exec.Cmd {
	cmd := exec.Command(bin, append([]string{"mcp", "--workspace", "dev", "--addr", addr}, flags...)...)
	cmd.Env = append(os.Environ(), "AIRLOCK_TOKEN="+clienttest.AgentToken)
	cmd.Stderr = os.Stderr
	return cmd
}

// session is a go-sdk MCP client connected to a bridge subprocess.
type session struct {
	*sdk.ClientSession
	progress chan *sdk.ProgressNotificationParams
}

func connect(t testing.TB, addr string, flags ...string) *session {
	t.Helper()
	s := &session{progress: make(chan *sdk.ProgressNotificationParams, 1000)}
	c := sdk.NewClient(&sdk.Implementation{Name: "airlock-test", Version: "1"}, &sdk.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *sdk.ProgressNotificationClientRequest) {
			select {
			case s.progress <- req.Params:
			default:
			}
		},
	})
	cs, err := c.Connect(context.Background(), &sdk.CommandTransport{Command: bridgeCmd(addr, flags...)}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	s.ClientSession = cs
	t.Cleanup(func() { cs.Close() })
	return s
}

// call calls a tool and fails the test on a protocol error.
func (s *session) call(t testing.TB, name string, args any) *sdk.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := s.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	return res
}

func textOf(res *sdk.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

var actionRE = regexp.MustCompile(`act_[0-9a-f]+`)

// once runs f at most once, for approvers reacting to repeated progress.
type once struct{ sync.Once }
