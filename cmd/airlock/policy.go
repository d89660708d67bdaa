package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/airlock-dev/airlock/audit"
	"github.com/airlock-dev/airlock/config"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/pipeline"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/server"
	"github.com/airlock-dev/airlock/store"
	"github.com/airlock-dev/airlock/store/sqlite"
)

func init() { register(newPolicy) }

func newPolicy() *cobra.Command {
	f := &humanFlags{}
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Test, check, evaluate and replay rego policies",
		Long: `Tools for the platform team that owns the policies.

Offline (no server): test runs the policy's rego tests, check compiles it as
the server would and reports unformatted files, eval decides an input document,
replay re-decides recorded actions from the store with a candidate policy.

Through the server (a human token with the policy-admin or admin role):
eval --action and input --action show what a recorded action was judged with.
docs/POLICY-OPS.md explains reloads, bundles, shadow and audit-only rollouts.`,
		Example: `  airlock policy test policies/ --coverage
  airlock policy check policies/
  airlock policy eval --dir policies/ --input input.json --explain
  airlock policy input --action act_0123abcd > testdata/input.json
  airlock policy replay --candidate policies-next/ --config airlock.yaml --since 168h`,
	}
	f.bind(cmd)
	cmd.AddCommand(newPolicyTest(), newPolicyCheck(), newPolicyEval(f), newPolicyInput(f), newPolicyReplay(f))
	return cmd
}

func newPolicyTest() *cobra.Command {
	var verbose, coverage bool
	var run string
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the rego tests (*_test.rego) under DIR (default .)",
		Long: `Run the rego tests under DIR, compiled strictly with rego v1 as the server
compiles the policy. A revision whose tests fail is refused by the server on
load and reload, so this is the check to run before shipping.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return runRegoTests(cmd.Context(), cmd.OutOrStdout(), dir, run, verbose, coverage)
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every test and the trace of failures")
	cmd.Flags().BoolVar(&coverage, "coverage", false, "report line coverage per file")
	cmd.Flags().StringVar(&run, "run", "", "only tests whose name matches this regular expression")
	return cmd
}

func runRegoTests(ctx context.Context, w io.Writer, dir, run string, verbose, coverage bool) error {
	modules, st, err := tester.LoadWithRegoVersion([]string{dir}, nil, ast.RegoV1)
	if err != nil {
		return fmt.Errorf("load %s: %w", dir, err)
	}
	runner := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(ast.RegoV1).WithEnablePrintStatements(true)).
		SetStore(st).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true).
		CapturePrintOutput(true).
		EnableTracing(verbose).
		SetTimeout(policy.DefaultTestTimeout)
	if run != "" {
		runner = runner.Filter(run)
	}
	var cov *cover.Cover
	if coverage {
		cov = cover.New()
		runner = runner.SetCoverageQueryTracer(cov)
	}
	ch, err := runner.Run(ctx, modules)
	if err != nil {
		return fmt.Errorf("compile %s: %w", dir, err)
	}
	// Count outcomes while OPA's reporter prints them as `opa test` does.
	fwd := make(chan *tester.Result)
	var n, failed int
	go func() {
		defer close(fwd)
		for r := range ch {
			n++
			if r.Fail || r.Error != nil {
				failed++
			}
			fwd <- r
		}
	}()
	if err := (tester.PrettyReporter{Output: w, Verbose: verbose, FailureLine: true}).Report(fwd); err != nil {
		return err
	}
	if cov != nil {
		rep := cov.Report(modules)
		names := make([]string, 0, len(rep.Files))
		for name := range rep.Files {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Fprintln(w, "coverage:")
		for _, name := range names {
			fmt.Fprintf(w, "  %6.1f%%  %s\n", rep.Files[name].Coverage, name)
		}
		fmt.Fprintf(w, "  %6.1f%%  total\n", rep.Coverage)
	}
	switch {
	case n == 0:
		return &exitError{code: 2, err: fmt.Errorf("no rego tests under %s", dir)}
	case failed > 0:
		return &exitError{code: 1, err: fmt.Errorf("%d of %d rego tests failed", failed, n)}
	}
	return nil
}

func newPolicyCheck() *cobra.Command {
	return &cobra.Command{
		Use:   "check DIR",
		Short: "Load DIR as the server would, and list files opa fmt would change",
		Long: `Load DIR exactly as the server loads a revision: strict compilation with rego
v1, the decision query defined, the rego tests passing, and the smoke check
(warnings when every ordinary dev action would be denied). Then list every .rego
file that is not formatted as opa fmt writes it. Exit status 1 on any error or
unformatted file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			e, err := policy.New(cmd.Context(), policy.Conf{Dir: args[0]})
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			st := e.Status().Live
			fmt.Fprintf(w, "compiled: revision %s, %d files\n", st.Revision, st.Files)
			for _, warn := range st.Warnings {
				fmt.Fprintf(w, "warning: %s\n", warn)
			}
			bad, err := unformatted(args[0])
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			for _, p := range bad {
				fmt.Fprintf(w, "not opa fmt clean: %s\n", p)
			}
			if len(bad) > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d files need `opa fmt -w`", len(bad))}
			}
			fmt.Fprintln(w, "formatted: ok")
			return nil
		},
	}
}

// unformatted lists the .rego files under dir (tests included, hidden
// directories skipped as the loader skips them) that opa fmt would change.
func unformatted(dir string) ([]string, error) {
	var bad []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".rego") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, err := format.SourceWithOpts(p, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			return fmt.Errorf("format %s: %w", p, err)
		}
		if !bytes.Equal(got, src) {
			bad = append(bad, p)
		}
		return nil
	})
	return bad, err
}

func newPolicyEval(f *humanFlags) *cobra.Command {
	var inputFile, dir, actionID string
	var explain bool
	cmd := &cobra.Command{
		Use:   "eval (--input FILE [--dir DIR] | --action ID)",
		Short: "Decide an input document offline, or a recorded action through the server",
		Long: `With --input, decide the input document in FILE ("-" for stdin) with the
policy in --dir (default .), offline, exactly as the server would. With
--action, ask the server to decide the input a recorded action produced with
the live policy (and the shadow one). --explain prints OPA's trace of why.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case (inputFile == "") == (actionID == ""):
				return fmt.Errorf("pass exactly one of --input and --action")
			case actionID != "":
				resp, err := evaluateRemote(cmd.Context(), f, actionID, explain)
				if err != nil {
					return err
				}
				if f.json {
					printJSON(cmd.OutOrStdout(), resp)
					return nil
				}
				printRemoteDecision(cmd.OutOrStdout(), resp)
				return nil
			}
			in, err := readPolicyInput(cmd.InOrStdin(), inputFile)
			if err != nil {
				return err
			}
			e, err := policy.New(cmd.Context(), policy.Conf{Dir: dir})
			if err != nil {
				return err
			}
			var d policy.Decision
			var lines []string
			if explain {
				d, lines = e.Explain(cmd.Context(), in)
			} else {
				d = e.Decide(cmd.Context(), in)
			}
			if f.json {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(jsonDecision(d, lines))
			}
			printPolicyDecision(cmd.OutOrStdout(), "decision", d.Effect, d.Revision, d.Reasons)
			if d.Err != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "error: %v\n", d.Err)
			}
			printExplanation(cmd.OutOrStdout(), lines)
			return nil
		},
	}
	cmd.Flags().StringVar(&inputFile, "input", "", "input document (JSON, docs/POLICY.md); - for stdin")
	cmd.Flags().StringVar(&dir, "dir", ".", "policy directory (with --input)")
	cmd.Flags().StringVar(&actionID, "action", "", "a recorded action's id (asks the server)")
	cmd.Flags().BoolVar(&explain, "explain", false, "print the evaluation trace")
	return cmd
}

func newPolicyInput(f *humanFlags) *cobra.Command {
	var actionID string
	cmd := &cobra.Command{
		Use:   "input --action ID",
		Short: "Print the exact policy input a recorded action produced",
		Long: `Print, as JSON, the policy input a recorded action was judged with, to write a
rego test from a real case or to feed "airlock policy eval --input".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if actionID == "" {
				return fmt.Errorf("--action is required")
			}
			resp, err := evaluateRemote(cmd.Context(), f, actionID, false)
			if err != nil {
				return err
			}
			raw, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(resp.GetInput())
			if err != nil {
				return err
			}
			// protojson's spacing varies on purpose; re-indent for stable output.
			var out bytes.Buffer
			if err := json.Indent(&out, compactJSON(raw), "", "  "); err != nil {
				return err
			}
			out.WriteByte('\n')
			_, err = cmd.OutOrStdout().Write(out.Bytes())
			return err
		},
	}
	cmd.Flags().StringVar(&actionID, "action", "", "the recorded action's id")
	return cmd
}

func compactJSON(raw []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

func newPolicyReplay(f *humanFlags) *cobra.Command {
	var candidate, dbPath, cfgPath string
	var since time.Duration
	var limit int
	cmd := &cobra.Command{
		Use:   "replay --candidate DIR (--db PATH | --config FILE)",
		Short: "Re-decide recorded actions with a candidate policy and show what would change",
		Long: `Read the actions decided in the last --since from the store (the SQLite file
--db, or the store of the server configuration --config), decide each recorded
input again with the candidate policy in --candidate, and list every action
whose effect or deciding rules would change. Nothing is executed or written.
Recorded decisions of audit-only workspaces are compared as the policy made
them, not as they were enforced.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if candidate == "" || (dbPath == "") == (cfgPath == "") {
				return fmt.Errorf("pass --candidate and exactly one of --db and --config")
			}
			cand, err := policy.New(ctx, policy.Conf{Dir: candidate})
			if err != nil {
				return fmt.Errorf("candidate: %w", err)
			}
			st, err := openReplayStore(ctx, dbPath, cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			var n int
			var readErr error
			recs := func(yield func(policy.Recorded) bool) {
				readErr = recordedSince(ctx, st, time.Now().Add(-since), limit, func(r policy.Recorded) bool {
					n++
					return yield(r)
				})
			}
			diffs := policy.Replay(ctx, cand, recs)
			if readErr != nil {
				return readErr
			}
			report := replayReport{Candidate: cand.Revision(), Replayed: n, Changed: len(diffs), Differences: []replayDiff{}}
			for _, d := range diffs {
				report.Differences = append(report.Differences, replayDiff{
					ActionID: d.ID, Workspace: d.Input.Workspace.Name, Kind: d.Input.Action.Kind, Path: targetOf(d.Input),
					Recorded:  replaySide{Effect: d.Recorded.Effect, Revision: d.Recorded.Revision, Rules: ruleIDsOf(d.Recorded.Reasons)},
					Candidate: replaySide{Effect: d.Candidate.Effect, Revision: d.Candidate.Revision, Rules: ruleIDsOf(d.Candidate.Reasons)},
				})
			}
			w := cmd.OutOrStdout()
			if f.json {
				return json.NewEncoder(w).Encode(report)
			}
			fmt.Fprintf(w, "replayed %d actions against candidate revision %s: %d would change\n", n, report.Candidate, len(diffs))
			if len(diffs) == 0 {
				return nil
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ACTION\tWORKSPACE\tKIND\tTARGET\tRECORDED\tCANDIDATE\tCANDIDATE RULES")
			for _, d := range report.Differences {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ActionID, d.Workspace, d.Kind, d.Path,
					d.Recorded.Effect, d.Candidate.Effect, strings.Join(d.Candidate.Rules, ","))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&candidate, "candidate", "", "the candidate policy directory")
	cmd.Flags().StringVar(&dbPath, "db", "", "the SQLite store file")
	cmd.Flags().StringVar(&cfgPath, "config", "", "a server configuration (its store: SQLite or PostgreSQL)")
	cmd.Flags().DurationVar(&since, "since", 7*24*time.Hour, "replay actions decided within this long")
	cmd.Flags().IntVar(&limit, "limit", 10000, "replay at most this many actions")
	return cmd
}

type replayReport struct {
	Candidate   string       `json:"candidate_revision"`
	Replayed    int          `json:"replayed"`
	Changed     int          `json:"changed"`
	Differences []replayDiff `json:"differences"`
}

type replayDiff struct {
	ActionID  string     `json:"action_id"`
	Workspace string     `json:"workspace"`
	Kind      string     `json:"kind"`
	Path      string     `json:"target"`
	Recorded  replaySide `json:"recorded"`
	Candidate replaySide `json:"candidate"`
}

type replaySide struct {
	Effect   policy.Effect `json:"effect"`
	Revision string        `json:"revision"`
	Rules    []string      `json:"rules"`
}

func openReplayStore(ctx context.Context, dbPath, cfgPath string) (store.Store, error) {
	if cfgPath != "" {
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return nil, err
		}
		return server.OpenStore(ctx, cfg.Store)
	}
	// Opening a missing SQLite file would create an empty store and replay
	// nothing, which reads like "no change".
	if !fileExists(dbPath) {
		return nil, fmt.Errorf("--db %s: no such file", dbPath)
	}
	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return nil, fmt.Errorf("--db %s: %w", dbPath, err)
	}
	return st, nil
}

// recordedSince walks the audit trail's decisions since from (the trail is
// the complete, ordered list of what was decided) and hands each action's
// recorded input and decision to fn, at most limit of them.
func recordedSince(ctx context.Context, st store.Store, from time.Time, limit int, fn func(policy.Recorded) bool) error {
	seen := map[string]bool{}
	var seq int64 = 1
	for {
		page, err := audit.Query(ctx, st, seq, audit.Filter{Since: from, Type: audit.TypeActionDecided},
			audit.QueryLimits{Max: 500, MaxScan: 50_000})
		if err != nil {
			return err
		}
		for _, m := range page.Matches {
			id := m.Event.ActionID
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			if len(seen) > limit {
				return nil
			}
			r, err := recordedAction(ctx, st, id)
			if err != nil {
				return err
			}
			if !fn(r) {
				return nil
			}
		}
		if page.Next == 0 {
			return nil
		}
		seq = page.Next
	}
}

func recordedAction(ctx context.Context, st store.Store, id string) (policy.Recorded, error) {
	a, err := st.GetAction(ctx, id)
	if err != nil {
		return policy.Recorded{}, fmt.Errorf("action %s: %w", id, err)
	}
	in, err := pipeline.RecordedInput(a)
	if err != nil {
		return policy.Recorded{}, err
	}
	var rec pipeline.Record
	if err := json.Unmarshal(a.Record, &rec); err != nil {
		return policy.Recorded{}, fmt.Errorf("action %s: %w", id, err)
	}
	return policy.Recorded{ID: id, Input: in, Decision: asDecided(rec.Decision)}, nil
}

// asDecided undoes audit-only enforcement: such a record carries the
// policy's own reasons behind an airlock.audit_only allow, and the policy's
// effect is the strongest of them (the engine's strict combination).
func asDecided(r pipeline.DecisionRecord) policy.Decision {
	d := policy.Decision{Effect: r.Effect, Revision: r.Revision, Approval: r.Approval, Sandbox: r.Sandbox}
	audited := false
	for _, reason := range r.Reasons {
		if reason.RuleID == "airlock.audit_only" {
			audited = true
			continue
		}
		d.Reasons = append(d.Reasons, reason)
	}
	if audited {
		d.Effect = policy.Allow
		for _, reason := range d.Reasons {
			if strength(reason.Effect) > strength(d.Effect) {
				d.Effect = reason.Effect
			}
		}
	}
	return d
}

func strength(e policy.Effect) int {
	switch e {
	case policy.Deny:
		return 3
	case policy.Escalate:
		return 2
	}
	return 1
}

func targetOf(in *policy.Input) string {
	if in.Action.Kind == "exec" {
		if in.Action.Script != "" {
			return in.Action.Script
		}
		return strings.Join(in.Action.Argv, " ")
	}
	if in.Plan.Path != "" {
		return in.Plan.Path
	}
	return strings.Join(in.Plan.AllPaths, ",")
}

func ruleIDsOf(rs []policy.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.RuleID
	}
	return out
}

// readPolicyInput reads an input document strictly (a misspelt field is an
// error, not a silently different action).
func readPolicyInput(stdin io.Reader, name string) (*policy.Input, error) {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(io.LimitReader(stdin, 4<<20))
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in policy.Input
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("--input %s: %w (docs/POLICY.md lists the fields)", name, err)
	}
	if in.Version == 0 {
		in.Version = policy.InputVersion
	}
	return &in, nil
}

type decisionJSON struct {
	Effect      policy.Effect        `json:"effect"`
	Reasons     []policy.Reason      `json:"reasons"`
	Revision    string               `json:"revision"`
	Approval    *policy.Approval     `json:"approval,omitempty"`
	Sandbox     *policy.SandboxGrant `json:"sandbox,omitempty"`
	Error       string               `json:"error,omitempty"`
	Explanation []string             `json:"explanation,omitempty"`
}

func jsonDecision(d policy.Decision, lines []string) decisionJSON {
	out := decisionJSON{Effect: d.Effect, Reasons: d.Reasons, Revision: d.Revision, Approval: d.Approval, Sandbox: d.Sandbox, Explanation: lines}
	if out.Reasons == nil {
		out.Reasons = []policy.Reason{}
	}
	if d.Err != nil {
		out.Error = d.Err.Error()
	}
	return out
}

func printPolicyDecision(w io.Writer, label string, eff policy.Effect, rev string, reasons []policy.Reason) {
	fmt.Fprintf(w, "%s: %s (revision %s)\n", label, eff, rev)
	for _, r := range reasons {
		fmt.Fprintf(w, "  %-8s %s: %s\n", r.Effect, r.RuleID, r.Message)
	}
}

func printExplanation(w io.Writer, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "explanation:")
	for _, l := range lines {
		fmt.Fprintln(w, "  "+l)
	}
}

var effectNames = map[airlockv1.Effect]policy.Effect{
	airlockv1.Effect_EFFECT_ALLOW:    policy.Allow,
	airlockv1.Effect_EFFECT_DENY:     policy.Deny,
	airlockv1.Effect_EFFECT_ESCALATE: policy.Escalate,
}

func fromAPI(d *airlockv1.Decision) (policy.Effect, []policy.Reason) {
	var rs []policy.Reason
	for _, r := range d.GetReasons() {
		rs = append(rs, policy.Reason{RuleID: r.GetRuleId(), Message: r.GetMessage(), Effect: effectNames[r.GetEffect()]})
	}
	return effectNames[d.GetEffect()], rs
}

func printRemoteDecision(w io.Writer, resp *airlockv1.EvaluatePolicyResponse) {
	eff, rs := fromAPI(resp.GetDecision())
	printPolicyDecision(w, "decision", eff, resp.GetDecision().GetPolicyRevision(), rs)
	if s := resp.GetShadow(); s != nil {
		eff, rs := fromAPI(s)
		printPolicyDecision(w, "shadow", eff, s.GetPolicyRevision(), rs)
	}
	printExplanation(w, resp.GetExplanation())
}

func evaluateRemote(ctx context.Context, f *humanFlags, actionID string, explain bool) (*airlockv1.EvaluatePolicyResponse, error) {
	c, err := f.dial()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Policy.EvaluatePolicy(ctx, &airlockv1.EvaluatePolicyRequest{
		Subject: &airlockv1.EvaluatePolicyRequest_ActionId{ActionId: actionID}, Explain: explain,
	})
}
