package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	client "github.com/airlock-dev/airlock/clients/go"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

func init() { register(newApprovals) }

// humanFlags are the connection flags of the approver commands.
type humanFlags struct {
	addr, token string
	json        bool
}

func (f *humanFlags) bind(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.addr, "addr", envOr("AIRLOCK_ADDR", "127.0.0.1:7443"), "server address (host:port or unix:///path) [$AIRLOCK_ADDR]")
	cmd.PersistentFlags().StringVar(&f.token, "token", os.Getenv("AIRLOCK_TOKEN"), "your bearer token [$AIRLOCK_TOKEN]")
	cmd.PersistentFlags().BoolVar(&f.json, "json", false, "print JSON (one object per line for watch)")
}

func (f *humanFlags) dial() (*client.Client, error) {
	if f.token == "" {
		return nil, fmt.Errorf("no token: pass --token or set AIRLOCK_TOKEN")
	}
	return client.Dial(f.addr, client.Options{Token: f.token})
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func newApprovals() *cobra.Command {
	f := &humanFlags{}
	cmd := &cobra.Command{
		Use:   "approvals",
		Short: "Review, approve and reject escalated actions",
		Long: `Review, approve and reject actions that a policy escalated to humans.

Only human principals with a role the escalation names may vote; an agent never
may, and with separation of duties (the default outside dev) neither may the
person the agent acts for. When enough approvers agree, Airlock checks that the
workspace has not changed and the policy still does not deny, then runs exactly
what was shown.`,
		Example: `  airlock approvals list
  airlock approvals show act_0123abcd
  airlock approvals approve act_0123abcd --comment "ok to scale"
  airlock approvals reject act_0123abcd --comment "not during the freeze"
  airlock approvals watch --json`,
	}
	f.bind(cmd)
	var workspace, requester string
	list := &cobra.Command{
		Use: "list", Short: "List pending actions, oldest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			resp, err := c.Approvals.ListPending(cmd.Context(), &airlockv1.ListPendingRequest{Workspace: workspace, Requester: requester})
			if err != nil {
				return err
			}
			if f.json {
				for _, a := range resp.GetApprovals() {
					printJSON(cmd.OutOrStdout(), a)
				}
				return nil
			}
			w := cmd.OutOrStdout()
			if len(resp.GetApprovals()) == 0 {
				fmt.Fprintln(w, "no pending actions")
				return nil
			}
			fmt.Fprintf(w, "%-28s %-10s %-12s %-12s %-7s %-9s %s\n", "ID", "WORKSPACE", "REQUESTER", "KIND", "VOTES", "EXPIRES", "PATHS")
			for _, a := range resp.GetApprovals() {
				r := a.GetAction()
				fmt.Fprintf(w, "%-28s %-10s %-12s %-12s %d/%-5d %-9s %s\n", r.GetActionId(), r.GetWorkspace(), r.GetPrincipal(), r.GetKind(),
					approvalsOf(a), a.GetRequirement().GetApprovals(), until(a.GetExpiresAt().AsTime()), pathsOf(r))
			}
			return nil
		},
	}
	list.Flags().StringVar(&workspace, "workspace", "", "only this workspace")
	list.Flags().StringVar(&requester, "requester", "", "only actions of this principal")

	show := &cobra.Command{
		Use: "show ID", Short: "Show exactly what an escalated action will do", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			resp, err := c.Approvals.GetApproval(cmd.Context(), &airlockv1.GetApprovalRequest{ActionId: args[0]})
			if err != nil {
				return err
			}
			if f.json {
				printJSON(cmd.OutOrStdout(), resp.GetApproval())
				return nil
			}
			showApproval(cmd.OutOrStdout(), resp.GetApproval())
			return nil
		},
	}

	var comment, digest string
	vote := func(approve bool) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			c, err := f.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			var a *airlockv1.Approval
			if approve {
				resp, err := c.Approvals.Approve(cmd.Context(), &airlockv1.ApproveRequest{ActionId: args[0], Comment: comment, Digest: digest})
				if err != nil {
					return err
				}
				a = resp.GetApproval()
			} else {
				resp, err := c.Approvals.Reject(cmd.Context(), &airlockv1.RejectRequest{ActionId: args[0], Comment: comment})
				if err != nil {
					return err
				}
				a = resp.GetApproval()
			}
			if f.json {
				printJSON(cmd.OutOrStdout(), a)
				return nil
			}
			r := a.GetAction()
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (%d/%d approvals)\n", r.GetActionId(), statusName(r.GetStatus()), approvalsOf(a), a.GetRequirement().GetApprovals())
			if fl := r.GetFailure(); fl != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "  %s: %s\n", fl.GetReason(), fl.GetMessage())
			}
			return nil
		}
	}
	approve := &cobra.Command{Use: "approve ID", Short: "Approve an action (the last needed approval runs it)", Args: cobra.ExactArgs(1), RunE: vote(true)}
	approve.Flags().StringVar(&comment, "comment", "", "why you approve")
	approve.Flags().StringVar(&digest, "digest", "", "refuse unless the action's plan digest is this one (from show)")
	reject := &cobra.Command{Use: "reject ID", Short: "Reject an action (ends it)", Args: cobra.ExactArgs(1), RunE: vote(false)}
	reject.Flags().StringVar(&comment, "comment", "", "why you reject (required)")
	_ = reject.MarkFlagRequired("comment")

	watch := &cobra.Command{
		Use: "watch", Short: "Follow pending actions and their outcomes as they happen", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			stream, err := c.Approvals.WatchApprovals(cmd.Context(), &airlockv1.WatchApprovalsRequest{Workspace: workspace})
			if err != nil {
				return err
			}
			for {
				m, err := stream.Recv()
				if err != nil {
					if cmd.Context().Err() != nil || err == io.EOF {
						return nil
					}
					return err
				}
				a := m.GetApproval()
				if f.json {
					printJSON(cmd.OutOrStdout(), a)
					continue
				}
				r := a.GetAction()
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s %s %s by %s (%d/%d)\n", time.Now().Format("15:04:05"), r.GetActionId(),
					statusName(r.GetStatus()), r.GetKind(), pathsOf(r), r.GetPrincipal(), approvalsOf(a), a.GetRequirement().GetApprovals())
			}
		},
	}
	watch.Flags().StringVar(&workspace, "workspace", "", "only this workspace")
	cmd.AddCommand(list, show, approve, reject, watch)
	return cmd
}

func showApproval(w io.Writer, a *airlockv1.Approval) {
	r := a.GetAction()
	fmt.Fprintf(w, "Action     %s  (%s)\n", r.GetActionId(), statusName(r.GetStatus()))
	fmt.Fprintf(w, "Requested  by %s", r.GetPrincipal())
	if a.GetOnBehalfOf() != "" {
		fmt.Fprintf(w, " on behalf of %s", a.GetOnBehalfOf())
	}
	fmt.Fprintf(w, " in %s, %s ago\n", r.GetWorkspace(), time.Since(r.GetCreatedAt().AsTime()).Round(time.Second))
	fmt.Fprintf(w, "Intent     %s\n", r.GetIntent())
	fmt.Fprintf(w, "Kind       %s\n", r.GetKind())
	for _, rs := range r.GetDecision().GetReasons() {
		fmt.Fprintf(w, "Why        [%s] %s\n", rs.GetRuleId(), rs.GetMessage())
	}
	req := a.GetRequirement()
	fmt.Fprintf(w, "Needs      %d approval(s) from %s; expires in %s\n", req.GetApprovals(), strings.Join(req.GetRoles(), "/"), until(a.GetExpiresAt().AsTime()))
	for _, v := range a.GetVotes() {
		fmt.Fprintf(w, "Vote       %s %s: %s\n", v.GetPrincipal(), strings.TrimPrefix(v.GetKind().String(), "VOTE_KIND_"), v.GetComment())
	}
	if a.GetCanVote() {
		fmt.Fprintln(w, "You        may vote")
	} else {
		fmt.Fprintf(w, "You        may not vote: %s\n", a.GetCannotVoteReason())
	}
	fmt.Fprintf(w, "Digest     %s\n\n", r.GetPlan().GetDigest())
	if x := a.GetRequested().GetExec(); x != nil {
		if x.GetScript() != "" {
			fmt.Fprintf(w, "Command (%s script, in %s):\n  %s\n", orDefault(x.GetShell(), "sh"), orDefault(x.GetCwd(), "."), x.GetScript())
		} else {
			fmt.Fprintf(w, "Command (in %s):\n  %q\n", orDefault(x.GetCwd(), "."), x.GetArgv())
		}
		for _, sc := range r.GetPlan().GetCommand().GetCommands() {
			fmt.Fprintf(w, "  runs: %s %s\n", sc.GetOp(), strings.Join(sc.GetArgv(), " "))
		}
	}
	color := isTerminal(w)
	for _, p := range r.GetPlan().GetPaths() {
		if p.GetDiff() == "" {
			if p.GetOp() != "read" && p.GetOp() != "list" {
				fmt.Fprintf(w, "%s %s (no text diff)\n", p.GetOp(), p.GetPath())
			}
			continue
		}
		for _, line := range strings.Split(strings.TrimRight(p.GetDiff(), "\n"), "\n") {
			fmt.Fprintln(w, colorize(line, color))
		}
		if p.GetDiffTruncated() {
			fmt.Fprintln(w, "… diff cut at the server's limit")
		}
	}
}

func colorize(line string, on bool) string {
	if !on {
		return line
	}
	switch {
	case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
		return "\x1b[1m" + line + "\x1b[0m"
	case strings.HasPrefix(line, "+"):
		return "\x1b[32m" + line + "\x1b[0m"
	case strings.HasPrefix(line, "-"):
		return "\x1b[31m" + line + "\x1b[0m"
	case strings.HasPrefix(line, "@@"):
		return "\x1b[36m" + line + "\x1b[0m"
	}
	return line
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("NO_COLOR") == ""
}

func approvalsOf(a *airlockv1.Approval) int {
	n := 0
	for _, v := range a.GetVotes() {
		if v.GetKind() == airlockv1.VoteKind_VOTE_KIND_APPROVE {
			n++
		}
	}
	return n
}

func pathsOf(r *airlockv1.ActionRecord) string {
	var ps []string
	for _, p := range r.GetPlan().GetPaths() {
		ps = append(ps, p.GetPath())
	}
	return strings.Join(ps, ",")
}

func statusName(s airlockv1.ActionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "ACTION_STATUS_"))
}

func until(t time.Time) string {
	if t.IsZero() || t.Unix() == 0 {
		return "-"
	}
	d := time.Until(t).Round(time.Second)
	if d < 0 {
		return "expired"
	}
	return d.String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func printJSON(w io.Writer, m proto.Message) {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		fmt.Fprintln(w, "{}")
		return
	}
	fmt.Fprintln(w, string(raw))
}
