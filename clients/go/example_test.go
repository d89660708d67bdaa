package client_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	client "github.com/airlock-dev/airlock/clients/go"
	"github.com/airlock-dev/airlock/clients/go/clienttest"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

func ExampleDial() {
	c, err := client.Dial(srv.Addr, client.Options{Token: clienttest.AgentToken})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	rec, err := c.ReadFile(context.Background(), "dev", "src/app.go", client.WithIntent("understand the app"))
	if err != nil {
		log.Fatal(err)
	}
	content := string(rec.GetResult().GetReadFile().GetContent())
	fmt.Println(rec.GetStatus())
	fmt.Println(strings.SplitN(content, "\n", 2)[0])
	// Output:
	// ACTION_STATUS_SUCCEEDED
	// package app
}

func ExampleIsDenied() {
	c, err := client.Dial(srv.Addr, client.Options{Token: clienttest.AgentToken})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	// A denial is an answer, not an error: nothing ran, and the reasons
	// say why.
	rec, err := c.ReadFile(context.Background(), "dev", ".env")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.IsDenied(rec))
	for _, r := range rec.GetDecision().GetReasons() {
		fmt.Println(r.GetRuleId())
	}
	// Output:
	// true
	// secrets.touch
}

func ExampleClient_EditFile() {
	c, err := client.Dial(srv.Addr, client.Options{Token: clienttest.AgentToken})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.WriteFile(ctx, "dev", "notes/example.txt", []byte("one\ntwo\nthree\n")); err != nil {
		log.Fatal(err)
	}
	// Retries make the call safe to repeat after a broken connection: an
	// idempotency key is generated, so the edit happens at most once.
	rec, err := c.EditFile(ctx, "dev", "notes/example.txt", "two", "2",
		client.WithRetries(3), client.WithSession("example"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(rec.GetPlan().GetPaths()[0].GetDiff())
	// Output:
	// --- a/notes/example.txt
	// +++ b/notes/example.txt
	// @@ -1,3 +1,3 @@
	//  one
	// -two
	// +2
	//  three
}

func ExampleReason() {
	c, err := client.Dial(srv.Addr, client.Options{Token: clienttest.AgentToken})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	// Allowed by policy, but the file is not there: an error whose reason a
	// program can switch on, naming the recorded action.
	_, err = c.ReadFile(context.Background(), "dev", "src/missing.go")
	fmt.Println(client.Reason(err))
	fmt.Println(client.ActionID(err) != "")
	// A path that leaves the workspace is refused before any policy runs.
	_, err = c.ReadFile(context.Background(), "dev", "../../etc/passwd")
	fmt.Println(client.Reason(err))
	// Output:
	// ERROR_REASON_FILE_NOT_FOUND
	// true
	// ERROR_REASON_WORKSPACE_ESCAPE
}

func ExampleClient_Exec() {
	c, err := client.Dial(srv.Addr, client.Options{Token: clienttest.AgentToken})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	rec, err := c.Exec(context.Background(), "dev", []string{"ls", "tests"}, client.Timeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	x := rec.GetResult().GetExec()
	fmt.Printf("exit %d: %s", x.GetExitCode(), x.GetStdout())
	// Output:
	// exit 0: app_test.go
}

func ExampleIsPending() {
	c, err := client.Dial(srv.Addr, client.Options{Token: clienttest.AgentToken})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	rec, err := c.WriteFile(context.Background(), "dev", "deploy/canary.yaml", []byte("replicas: 1\n"),
		client.WithIntent("try a canary"))
	if err != nil {
		log.Fatal(err)
	}
	ap := rec.GetDecision().GetApproval()
	fmt.Println(client.IsPending(rec), ap.GetRoles(), ap.GetApprovals())
	// Output:
	// true [senior] 1
}

func ExampleClient_Await() {
	ctx := context.Background()
	agent, err := client.Dial(srv.Addr, client.Options{Token: clienttest.AgentToken})
	if err != nil {
		log.Fatal(err)
	}
	defer agent.Close()
	rec, err := agent.WriteFile(ctx, "dev", "deploy/example-await.yaml", []byte("replicas: 2\n"),
		client.WithIntent("add a service"), client.WithRetries(2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.GetStatus())

	// A human approver (bob, role senior) approves through the approval API.
	bob, err := client.Dial(srv.Addr, client.Options{Token: clienttest.BobToken})
	if err != nil {
		log.Fatal(err)
	}
	defer bob.Close()
	if _, err := bob.Approvals.Approve(ctx, &airlockv1.ApproveRequest{ActionId: rec.GetActionId(), Comment: "ok"}); err != nil {
		log.Fatal(err)
	}

	// The agent follows the action to its final state.
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	final, err := agent.Await(wctx, rec.GetActionId())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(final.GetStatus(), final.GetResult().GetWriteFile().GetSize())
	// Output:
	// ACTION_STATUS_PENDING_APPROVAL
	// ACTION_STATUS_SUCCEEDED 12
}
