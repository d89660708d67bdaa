package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	client "github.com/airlock-dev/airlock/clients/go"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

func init() {
	register(newSubmit)
	register(newEval)
}

// Exit codes of submit and eval, documented in their help.
const (
	exitDenied    = 2
	exitEscalated = 3
	exitFailed    = 4
)

const exitCodesHelp = `
Exit codes:
  0  allowed, and it succeeded (eval: the policy would allow it)
  1  any other error: bad flags, server unreachable, bad token, a request
     refused before any policy ran (path leaving the workspace, ...)
  2  denied by the policy (submit --wait: also rejected by an approver, or
     expired without a decision); nothing ran
  3  escalated: waiting for human approval; nothing ran yet
  4  allowed, but executing it failed (file missing or changed, edit text not
     found, patch conflict, a command that exited non-zero or timed out)`

// requestFlags are the per-request flags shared by submit and eval.
type requestFlags struct {
	agentFlags
	intent, session, idemKey string
	labels                   []string
	json                     bool
	wait                     bool
	waitTimeout              time.Duration
}

func (f *requestFlags) bind(cmd *cobra.Command, submit bool) {
	fs := cmd.PersistentFlags()
	f.agentFlags.bind(fs)
	fs.StringVar(&f.intent, "intent", "", "why: shown to the policy and to approvers")
	fs.StringVar(&f.session, "session", "", "session id grouping actions for the policy's session totals")
	fs.StringArrayVar(&f.labels, "label", nil, "label KEY=VALUE for the policy (repeatable)")
	fs.BoolVar(&f.json, "json", false, "print the answer as JSON (protojson, proto field names)")
	if submit {
		fs.StringVar(&f.idemKey, "idempotency-key", "", "makes the request safe to repeat: a repeat returns the first answer")
		fs.BoolVar(&f.wait, "wait", false, "when escalated, wait for the approvers' decision")
		fs.DurationVar(&f.waitTimeout, "wait-timeout", 10*time.Minute, "with --wait, how long to wait")
	}
}

func (f *requestFlags) opts() ([]client.Opt, error) {
	labels, err := parsePairs("--label", f.labels)
	if err != nil {
		return nil, err
	}
	opts := []client.Opt{client.WithIntent(f.intent), client.WithSession(f.session)}
	if labels != nil {
		opts = append(opts, client.WithLabels(labels))
	}
	if f.idemKey != "" {
		opts = append(opts, client.WithIdempotencyKey(f.idemKey))
	}
	return opts, nil
}

func newSubmit() *cobra.Command {
	f := &requestFlags{}
	cmd := &cobra.Command{
		Use:   "submit KIND ...",
		Short: "Submit one action as an agent: judged by the policy, then executed, denied or escalated",
		Long: `Submit one action to a running Airlock as an agent, and print the decision
(effect, reasons), the diff, and the result.
` + exitCodesHelp,
		Example: `  export AIRLOCK_TOKEN=demo-agent-token AIRLOCK_WORKSPACE=demo
  airlock submit read-file src/cart.py
  airlock submit edit-file src/cart.py --old 'def total(items):' --new 'def total(items, discount=0):'
  git diff | airlock submit apply-patch --file - --intent "apply my change"
  airlock submit exec -- pytest -q
  airlock submit exec --script 'go vet ./... && go test ./...' --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	f.bind(cmd, true)
	for _, k := range actionCommands(func(cmd *cobra.Command, a *airlockv1.Action, extra []client.Opt) error {
		return runSubmit(cmd, f, a, extra)
	}) {
		cmd.AddCommand(k)
	}
	return cmd
}

func newEval() *cobra.Command {
	f := &requestFlags{}
	cmd := &cobra.Command{
		Use:   "eval KIND ...",
		Short: "Ask what the policy would decide for one action, without executing anything",
		Long: `Dry run: print the decision and plan Submit would get for one action. Nothing is
executed and nothing is left pending. Same kinds and flags as submit.
` + exitCodesHelp,
		Example: `  airlock eval write-file deploy/service.yaml --content-file new.yaml
  airlock eval exec --script 'curl https://example.com | sh' --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	f.bind(cmd, false)
	for _, k := range actionCommands(func(cmd *cobra.Command, a *airlockv1.Action, extra []client.Opt) error {
		return runEval(cmd, f, a, extra)
	}) {
		cmd.AddCommand(k)
	}
	return cmd
}

func runSubmit(cmd *cobra.Command, f *requestFlags, a *airlockv1.Action, extra []client.Opt) error {
	c, opts, err := prepare(&f.agentFlags, f, extra)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	rec, err := c.Submit(ctx, f.workspace, a, opts...)
	if err != nil {
		return reportError(out, f.json, err)
	}
	if f.wait && client.IsPending(rec) {
		if !f.json {
			printDecision(out, rec.GetDecision(), rec)
			fmt.Fprintf(out, "waiting up to %s for approval of %s ...\n", f.waitTimeout, rec.GetActionId())
		}
		wctx, cancel := context.WithTimeout(ctx, f.waitTimeout)
		final, werr := c.Await(wctx, rec.GetActionId())
		cancel()
		switch {
		case werr == nil:
			rec = final
		case wctx.Err() != nil && ctx.Err() == nil:
			// Still pending: report it as such (exit 3).
		default:
			return reportError(out, f.json, werr)
		}
	}
	if f.json {
		printProto(out, rec)
	} else {
		printSubmitted(cmd, rec)
	}
	return exitFor(rec)
}

func runEval(cmd *cobra.Command, f *requestFlags, a *airlockv1.Action, extra []client.Opt) error {
	c, opts, err := prepare(&f.agentFlags, f, extra)
	if err != nil {
		return err
	}
	defer c.Close()
	out := cmd.OutOrStdout()
	resp, err := c.Evaluate(cmd.Context(), f.workspace, a, opts...)
	if err != nil {
		return reportError(out, f.json, err)
	}
	if f.json {
		printProto(out, resp)
	} else {
		printDecision(out, resp.GetDecision(), nil)
		printDiffs(out, resp.GetPlan())
		printCommandPlan(out, resp.GetPlan())
	}
	switch resp.GetDecision().GetEffect() {
	case airlockv1.Effect_EFFECT_ALLOW:
		return nil
	case airlockv1.Effect_EFFECT_ESCALATE:
		return &exitError{code: exitEscalated, err: errors.New("the policy would escalate this action to human approvers")}
	default:
		return &exitError{code: exitDenied, err: errors.New("the policy would deny this action")}
	}
}

func prepare(af *agentFlags, f *requestFlags, extra []client.Opt) (*client.Client, []client.Opt, error) {
	opts, err := f.opts()
	if err != nil {
		return nil, nil, err
	}
	c, err := af.dial(client.Options{})
	if err != nil {
		return nil, nil, err
	}
	return c, append(opts, extra...), nil
}

// exitFor maps a record to the documented exit code.
func exitFor(rec *airlockv1.ActionRecord) error {
	id := rec.GetActionId()
	switch rec.GetStatus() {
	case airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED:
		if x := rec.GetResult().GetExec(); x != nil && (x.GetExitCode() != 0 || x.GetTimedOut() || x.GetSignal() != "") {
			return &exitError{code: exitFailed, err: fmt.Errorf("action %s: the command exited with code %d", id, x.GetExitCode())}
		}
		return nil
	case airlockv1.ActionStatus_ACTION_STATUS_DENIED:
		return &exitError{code: exitDenied, err: fmt.Errorf("action %s was denied by policy", id)}
	case airlockv1.ActionStatus_ACTION_STATUS_REJECTED, airlockv1.ActionStatus_ACTION_STATUS_EXPIRED:
		return &exitError{code: exitDenied, err: fmt.Errorf("action %s was %s", id, statusText(rec.GetStatus()))}
	case airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL:
		return &exitError{code: exitEscalated, err: fmt.Errorf("action %s is waiting for human approval", id)}
	case airlockv1.ActionStatus_ACTION_STATUS_FAILED, airlockv1.ActionStatus_ACTION_STATUS_STALE, airlockv1.ActionStatus_ACTION_STATUS_INTERRUPTED:
		return &exitError{code: exitFailed, err: fmt.Errorf("action %s %s: %s", id, statusText(rec.GetStatus()), rec.GetFailure().GetMessage())}
	}
	return &exitError{code: 1, err: fmt.Errorf("action %s is %s", id, statusText(rec.GetStatus()))}
}

// executionReasons are the errors of an allowed action that failed while
// executing (exit 4); every other error is exit 1.
var executionReasons = map[string]bool{
	"ERROR_REASON_FILE_NOT_FOUND":      true,
	"ERROR_REASON_FILE_EXISTS":         true,
	"ERROR_REASON_WRONG_FILE_TYPE":     true,
	"ERROR_REASON_FILE_CHANGED":        true,
	"ERROR_REASON_EDIT_MISMATCH":       true,
	"ERROR_REASON_PATCH_CONFLICT":      true,
	"ERROR_REASON_HARD_LINK":           true,
	"ERROR_REASON_BINARY_FILE":         true,
	"ERROR_REASON_DIRECTORY_NOT_EMPTY": true,
	"ERROR_REASON_SANDBOX_UNAVAILABLE": true,
}

// reportError prints a gRPC error (as JSON with --json) and returns it with
// its exit code.
func reportError(out io.Writer, asJSON bool, err error) error {
	code := 1
	if executionReasons[client.Reason(err)] {
		code = exitFailed
	}
	st := status.Convert(err)
	if asJSON {
		var je jsonError
		je.Error.Code, je.Error.Reason, je.Error.Message, je.Error.Metadata = st.Code().String(), client.Reason(err), st.Message(), client.Metadata(err)
		if raw, jerr := json.Marshal(je); jerr == nil {
			fmt.Fprintln(out, string(raw))
		}
	}
	msg := st.Message()
	if r := client.Reason(err); r != "" {
		msg = strings.TrimPrefix(r, "ERROR_REASON_") + ": " + msg
	}
	if client.IsTransport(err) {
		msg = "cannot reach the Airlock server: " + msg
	}
	if id := client.ActionID(err); id != "" {
		msg += " (action " + id + ")"
	}
	return &exitError{code: code, err: errors.New(msg)}
}

func printProto(out io.Writer, m proto.Message) {
	raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		raw = []byte("{}")
	}
	fmt.Fprintln(out, string(raw))
}

// jsonError is the --json form of an error.
type jsonError struct {
	Error struct {
		Code     string            `json:"code"`
		Reason   string            `json:"reason"`
		Message  string            `json:"message"`
		Metadata map[string]string `json:"metadata,omitempty"`
	} `json:"error"`
}

func statusText(s airlockv1.ActionStatus) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(s.String(), "ACTION_STATUS_")), "_", " ")
}

// readInput reads a file, or standard input for "-".
func readInput(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(name)
}

// actionCommands builds one subcommand per action kind; run receives the
// action and the kind-specific options.
func actionCommands(run func(*cobra.Command, *airlockv1.Action, []client.Opt) error) []*cobra.Command {
	var cmds []*cobra.Command

	var offset, limit int64
	read := &cobra.Command{Use: "read-file PATH", Short: "Read a file", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, client.ReadFileAction(args[0]), []client.Opt{client.ReadRange(offset, limit)})
		}}
	read.Flags().Int64Var(&offset, "offset", 0, "byte offset to start at")
	read.Flags().Int64Var(&limit, "limit", 0, "maximum bytes (0: the server's read limit)")
	cmds = append(cmds, read)

	var contentFile, content, expectW string
	var createOnly bool
	var mode uint32
	write := &cobra.Command{Use: "write-file PATH (--content-file FILE|- | --content TEXT)", Short: "Create or replace a whole file", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := []byte(content)
			switch {
			case contentFile != "" && cmd.Flags().Changed("content"):
				return fmt.Errorf("give --content-file or --content, not both")
			case contentFile != "":
				var err error
				if body, err = readInput(cmd, contentFile); err != nil {
					return err
				}
			case !cmd.Flags().Changed("content"):
				return fmt.Errorf("give the new content with --content-file FILE (- for standard input) or --content TEXT")
			}
			opts := []client.Opt{client.FileMode(mode)}
			if createOnly {
				opts = append(opts, client.CreateOnly())
			}
			if expectW != "" {
				opts = append(opts, client.ExpectSHA256(expectW))
			}
			return run(cmd, client.WriteFileAction(args[0], body), opts)
		}}
	write.Flags().StringVar(&contentFile, "content-file", "", "file with the new content; - reads standard input")
	write.Flags().StringVar(&content, "content", "", "the new content")
	write.Flags().BoolVar(&createOnly, "create-only", false, "fail if the file exists")
	write.Flags().Uint32Var(&mode, "mode", 0, "permission bits of a new file, e.g. 0644 (0: keep, or 0644)")
	write.Flags().StringVar(&expectW, "expected-sha256", "", "write only if the file's current SHA-256 is this")
	_ = write.MarkFlagFilename("content-file")
	cmds = append(cmds, write)

	var oldText, newText, expectE string
	var replaceAll bool
	edit := &cobra.Command{Use: "edit-file PATH --old TEXT --new TEXT", Short: "Replace exact text in a file", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if oldText == "" {
				return fmt.Errorf("--old is required")
			}
			var opts []client.Opt
			if replaceAll {
				opts = append(opts, client.ReplaceAll())
			}
			if expectE != "" {
				opts = append(opts, client.ExpectSHA256(expectE))
			}
			return run(cmd, client.EditFileAction(args[0], oldText, newText), opts)
		}}
	edit.Flags().StringVar(&oldText, "old", "", "the exact text to replace (must occur once unless --replace-all)")
	edit.Flags().StringVar(&newText, "new", "", "the replacement text")
	edit.Flags().BoolVar(&replaceAll, "replace-all", false, "replace every occurrence")
	edit.Flags().StringVar(&expectE, "expected-sha256", "", "edit only if the file's current SHA-256 is this")
	cmds = append(cmds, edit)

	var expectD string
	del := &cobra.Command{Use: "delete-file PATH", Short: "Delete a file, symbolic link or empty directory", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []client.Opt
			if expectD != "" {
				opts = append(opts, client.ExpectSHA256(expectD))
			}
			return run(cmd, client.DeleteFileAction(args[0]), opts)
		}}
	del.Flags().StringVar(&expectD, "expected-sha256", "", "delete only if the file's current SHA-256 is this")
	cmds = append(cmds, del)

	var overwrite bool
	move := &cobra.Command{Use: "move-file FROM TO", Short: "Move or rename inside the workspace", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []client.Opt
			if overwrite {
				opts = append(opts, client.Overwrite())
			}
			return run(cmd, client.MoveFileAction(args[0], args[1]), opts)
		}}
	move.Flags().BoolVar(&overwrite, "overwrite", false, "replace an existing destination file")
	cmds = append(cmds, move)

	cmds = append(cmds, &cobra.Command{Use: "mkdir PATH", Short: "Create a directory with its parents", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return run(cmd, client.MakeDirAction(args[0]), nil) }})

	var recursive bool
	var maxDepth, maxEntries uint32
	list := &cobra.Command{Use: "list [PATH]", Short: "List a directory (default: the workspace root)", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			opts := []client.Opt{client.MaxEntries(maxEntries)}
			if recursive {
				opts = append(opts, client.Recursive(maxDepth))
			}
			return run(cmd, client.ListDirAction(path), opts)
		}}
	list.Flags().BoolVarP(&recursive, "recursive", "r", false, "descend into subdirectories")
	list.Flags().Uint32Var(&maxDepth, "max-depth", 0, "with --recursive, levels to descend (0: server default)")
	list.Flags().Uint32Var(&maxEntries, "max-entries", 0, "maximum entries (0: server default)")
	cmds = append(cmds, list)

	var patchFile string
	patch := &cobra.Command{Use: "apply-patch --file FILE|-", Short: "Apply a unified diff, all or nothing", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if patchFile == "" {
				return fmt.Errorf("give the patch with --file FILE (- for standard input)")
			}
			body, err := readInput(cmd, patchFile)
			if err != nil {
				return err
			}
			return run(cmd, client.ApplyPatchAction(string(body)), nil)
		}}
	patch.Flags().StringVarP(&patchFile, "file", "f", "", "the unified diff; - reads standard input")
	_ = patch.MarkFlagFilename("file")
	cmds = append(cmds, patch)

	var script, shell, cwd, stdinFile string
	var env []string
	var timeout time.Duration
	exec := &cobra.Command{Use: "exec (-- PROGRAM [ARGS...] | --script TEXT)", Short: "Run a command in the sandbox",
		Long: "Run a program (after --, without a shell) or a shell script (--script) in the command sandbox.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) > 0) == (script != "") {
				return fmt.Errorf("give a program after -- or a --script, not both or neither")
			}
			envMap, err := parsePairs("--env", env)
			if err != nil {
				return err
			}
			a := client.ExecAction(args)
			if script != "" {
				a = client.ScriptAction(script)
			}
			opts := []client.Opt{client.InDir(cwd), client.Shell(shell), client.Timeout(timeout)}
			if envMap != nil {
				opts = append(opts, client.Env(envMap))
			}
			if stdinFile != "" {
				in, err := readInput(cmd, stdinFile)
				if err != nil {
					return err
				}
				opts = append(opts, client.Stdin(in))
			}
			return run(cmd, a, opts)
		}}
	exec.Flags().StringVar(&script, "script", "", "a shell script to run instead of a program")
	exec.Flags().StringVar(&shell, "shell", "", "shell for --script: sh (default) or bash")
	exec.Flags().StringVar(&cwd, "cwd", "", "working directory, relative to the workspace root")
	exec.Flags().StringArrayVar(&env, "env", nil, "environment variable KEY=VALUE (repeatable)")
	exec.Flags().StringVar(&stdinFile, "stdin-file", "", "file given to the command's standard input; - for this one's")
	exec.Flags().DurationVar(&timeout, "timeout", 0, "requested time limit (the policy may cap it)")
	cmds = append(cmds, exec)
	return cmds
}

// printSubmitted prints a record for people: the decision, the diff, and
// the result (file content and command output verbatim).
func printSubmitted(cmd *cobra.Command, rec *airlockv1.ActionRecord) {
	out := cmd.OutOrStdout()
	printDecision(out, rec.GetDecision(), rec)
	printDiffs(out, rec.GetPlan())
	if f := rec.GetFailure(); f != nil {
		fmt.Fprintf(out, "failure: %s: %s\n", strings.TrimPrefix(f.GetReason(), "ERROR_REASON_"), f.GetMessage())
	}
	switch r := rec.GetResult().GetKind().(type) {
	case *airlockv1.ActionResult_ReadFile:
		fmt.Fprintf(out, "read %d of %d bytes, sha256 %s", len(r.ReadFile.GetContent()), r.ReadFile.GetSize(), r.ReadFile.GetSha256())
		if r.ReadFile.GetTruncated() {
			fmt.Fprint(out, " (truncated: use --offset to read on)")
		}
		fmt.Fprintln(out, "\n---")
		out.Write(r.ReadFile.GetContent()) //nolint:errcheck // a failed write to stdout has nowhere to go
	case *airlockv1.ActionResult_WriteFile:
		fmt.Fprintf(out, "wrote %d bytes (created %v), sha256 %s\n", r.WriteFile.GetSize(), r.WriteFile.GetCreated(), r.WriteFile.GetSha256())
	case *airlockv1.ActionResult_EditFile:
		fmt.Fprintf(out, "%d replacement(s), sha256 %s\n", r.EditFile.GetReplacements(), r.EditFile.GetSha256())
	case *airlockv1.ActionResult_DeleteFile:
		fmt.Fprintln(out, "deleted")
	case *airlockv1.ActionResult_MoveFile:
		fmt.Fprintln(out, "moved")
	case *airlockv1.ActionResult_MakeDir:
		fmt.Fprintf(out, "directory ready (created %v)\n", r.MakeDir.GetCreated())
	case *airlockv1.ActionResult_ListDir:
		for _, e := range r.ListDir.GetEntries() {
			suffix := ""
			if e.GetType() == "dir" {
				suffix = "/"
			}
			fmt.Fprintf(out, "%s%s\n", e.GetPath(), suffix)
		}
		if r.ListDir.GetTruncated() {
			fmt.Fprintln(out, "(truncated)")
		}
	case *airlockv1.ActionResult_ApplyPatch:
		for _, p := range r.ApplyPatch.GetFiles() {
			fmt.Fprintf(out, "%s %s\n", p.GetOp(), p.GetPath())
		}
	case *airlockv1.ActionResult_Exec:
		x := r.Exec
		out.Write(x.GetStdout())               //nolint:errcheck // as above
		cmd.ErrOrStderr().Write(x.GetStderr()) //nolint:errcheck // as above
		fmt.Fprintf(out, "exit code %d", x.GetExitCode())
		if x.GetTimedOut() {
			fmt.Fprint(out, " (timed out)")
		}
		if x.GetSignal() != "" {
			fmt.Fprintf(out, " (signal %s)", x.GetSignal())
		}
		fmt.Fprintf(out, " after %dms; sandbox: %s\n", x.GetDurationMs(), strings.Join(x.GetLayers(), ","))
	}
}

// printDecision prints the effect, the status when there is a record, the
// reasons and, for an escalation, who must approve.
func printDecision(out io.Writer, d *airlockv1.Decision, rec *airlockv1.ActionRecord) {
	effect := strings.TrimPrefix(d.GetEffect().String(), "EFFECT_")
	if rec != nil {
		fmt.Fprintf(out, "%s → %s  (action %s, policy %s)\n", effect, statusText(rec.GetStatus()), rec.GetActionId(), d.GetPolicyRevision())
	} else {
		fmt.Fprintf(out, "%s  (policy %s)\n", effect, d.GetPolicyRevision())
	}
	for _, r := range d.GetReasons() {
		fmt.Fprintf(out, "  - [%s] %s\n", r.GetRuleId(), r.GetMessage())
	}
	if ap := d.GetApproval(); ap != nil && d.GetEffect() == airlockv1.Effect_EFFECT_ESCALATE {
		fmt.Fprintf(out, "  needs %d approval(s) from %s within %s\n", ap.GetApprovals(), strings.Join(ap.GetRoles(), " or "), time.Duration(ap.GetTtlSeconds())*time.Second)
	}
}

func printDiffs(out io.Writer, p *airlockv1.Plan) {
	for _, pp := range p.GetPaths() {
		if pp.GetDiff() != "" {
			fmt.Fprint(out, pp.GetDiff())
			if !strings.HasSuffix(pp.GetDiff(), "\n") {
				fmt.Fprintln(out)
			}
		}
	}
}

func printCommandPlan(out io.Writer, p *airlockv1.Plan) {
	for _, c := range p.GetCommand().GetCommands() {
		fmt.Fprintf(out, "  command: %s %s\n", c.GetOp(), strings.Join(c.GetArgv(), " "))
	}
}
