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
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/airlock-dev/airlock/audit"
	client "github.com/airlock-dev/airlock/clients/go"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/store/sqlite"
)

func init() { register(newAudit) }

// auditConn is a connection to the AuditService.
type auditConn struct {
	*client.Client
	airlockv1.AuditServiceClient
}

// dialAudit connects with the human flags, through the Go client (which
// refuses to send a token in plaintext beyond loopback and unix sockets).
func dialAudit(f *humanFlags) (*auditConn, error) {
	c, err := f.dial()
	if err != nil {
		return nil, err
	}
	return &auditConn{Client: c, AuditServiceClient: c.Audit}, nil
}

// auditFilter are the filter flags of audit query.
type auditFilter struct {
	since, until                                         string
	principal, workspace, effect, kind, action, typeName string
}

func (f *auditFilter) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.since, "since", "", "only events at or after this: a duration ago (1h, 30m) or an RFC 3339 time")
	fl.StringVar(&f.until, "until", "", "only events before this: a duration ago or an RFC 3339 time")
	fl.StringVar(&f.principal, "principal", "", "only this principal (requester or voter)")
	fl.StringVar(&f.workspace, "workspace", "", "only this workspace")
	fl.StringVar(&f.effect, "effect", "", "only decisions with this effect (allow, deny, escalate)")
	fl.StringVar(&f.kind, "kind", "", "only this action kind (write_file, run_command, ...)")
	fl.StringVar(&f.action, "action", "", "only this action id")
	fl.StringVar(&f.typeName, "type", "", "only this event type (action.decided, approval.voted, ...)")
}

func (f *auditFilter) request(now time.Time) (*airlockv1.QueryEventsRequest, error) {
	req := &airlockv1.QueryEventsRequest{Principal: f.principal, Workspace: f.workspace, Effect: f.effect,
		Kind: f.kind, ActionId: f.action, Type: f.typeName, PageSize: 1000}
	for _, b := range []struct {
		flag, v string
		dst     **timestamppb.Timestamp
	}{{"since", f.since, &req.Since}, {"until", f.until, &req.Until}} {
		if b.v == "" {
			continue
		}
		t, err := parseWhen(b.v, now)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", b.flag, err)
		}
		*b.dst = timestamppb.New(t)
	}
	return req, nil
}

// parseWhen reads "1h" (that long before now) or an RFC 3339 time.
func parseWhen(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration ago must not be negative", v)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration (1h) nor an RFC 3339 time", v)
	}
	return t, nil
}

func newAudit() *cobra.Command {
	f := &humanFlags{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read, follow, export and verify the audit trail",
		Long: `Read, follow, export and verify the audit trail.

Every action Airlock receives, decides, executes or refuses, and every
approval vote, is an event in a hash chain stored with the actions. These
commands need a human principal with the auditor or admin role; "verify --db"
reads the SQLite file directly and needs no server. docs/AUDIT.md describes
every field.`,
		Example: `  airlock audit tail -n 50
  airlock audit tail -f
  airlock audit query --since 24h --effect deny
  airlock audit query --action act_0123abcd --json
  airlock audit export > trail.jsonl
  airlock audit verify
  airlock audit verify --db /var/lib/airlock/airlock.db`,
	}
	f.bind(cmd)
	cmd.AddCommand(newAuditTail(f), newAuditQuery(f), newAuditExport(f), newAuditVerify(f))
	return cmd
}

func newAuditTail(f *humanFlags) *cobra.Command {
	var (
		n      int
		follow bool
	)
	c := &cobra.Command{
		Use: "tail", Short: "Print the newest events; with -f, keep printing new ones", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 0 {
				return errors.New("-n must not be negative")
			}
			c, err := dialAudit(f)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx := cmd.Context()
			// The API pages forward from the start; keep the last n seen.
			ring := make([]*airlockv1.AuditEvent, 0, n)
			var last int64
			err = eachEvent(ctx, c, &airlockv1.QueryEventsRequest{PageSize: 1000}, func(ev *airlockv1.AuditEvent) error {
				last = ev.GetSeq()
				if n == 0 {
					return nil
				}
				if len(ring) == n {
					ring = append(ring[:0], ring[1:]...)
				}
				ring = append(ring, ev)
				return nil
			})
			if err != nil {
				return err
			}
			p := newEventPrinter(cmd.OutOrStdout(), f.json)
			for _, ev := range ring {
				if err := p.print(ev); err != nil {
					return err
				}
			}
			if !follow {
				return nil
			}
			// From the next seq, not 0, so that nothing recorded between
			// the query and the follow is missed.
			stream, err := c.FollowEvents(ctx, &airlockv1.FollowEventsRequest{FromSeq: last + 1})
			if err != nil {
				return err
			}
			for {
				m, err := stream.Recv()
				if err != nil {
					if ctx.Err() != nil || errors.Is(err, io.EOF) {
						return nil
					}
					return err
				}
				if err := p.print(m.GetEvent()); err != nil {
					return err
				}
			}
		},
	}
	c.Flags().IntVarP(&n, "lines", "n", 20, "how many of the newest events to print")
	c.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing events as they are recorded")
	return c
}

func newAuditQuery(f *humanFlags) *cobra.Command {
	var flt auditFilter
	c := &cobra.Command{
		Use: "query", Short: "Print the events that match filters, oldest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := flt.request(time.Now())
			if err != nil {
				return err
			}
			c, err := dialAudit(f)
			if err != nil {
				return err
			}
			defer c.Close()
			p := newEventPrinter(cmd.OutOrStdout(), f.json)
			if err := eachEvent(cmd.Context(), c, req, p.print); err != nil {
				return err
			}
			if !f.json && p.n == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no matching events")
			}
			return nil
		},
	}
	flt.bind(c)
	return c
}

func newAuditExport(f *humanFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "export",
		Short: "Write every event as JSON lines (for a SIEM)",
		Long: `Write every event, oldest first, one JSON object per line: the stored event
(docs/AUDIT.md) plus "prev_hash" and "hash", so that the export can be checked
against the chain later.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dialAudit(f)
			if err != nil {
				return err
			}
			defer c.Close()
			p := newEventPrinter(cmd.OutOrStdout(), true)
			return eachEvent(cmd.Context(), c, &airlockv1.QueryEventsRequest{PageSize: 1000}, p.print)
		},
	}
}

func newAuditVerify(f *humanFlags) *cobra.Command {
	var db string
	c := &cobra.Command{
		Use:   "verify",
		Short: "Check the hash chain; exit 1 when it is broken",
		Long: `Walk the hash chain from the first record and report the first one that was
altered, removed, inserted or reordered (exit status 1), or that the chain is
intact (exit status 0). Either way it prints the head hash: note it somewhere
the server cannot write, and compare later to detect a truncated tail, which
the chain alone cannot reveal.

With --db it opens the SQLite database directly instead of asking a server
(the file must exist; pending schema migrations are applied).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var (
				res *airlockv1.VerifyChainResponse
				err error
			)
			if db != "" {
				res, err = verifyFile(cmd.Context(), db)
			} else {
				res, err = verifyRemote(cmd.Context(), f)
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if f.json {
				printJSON(w, res)
			}
			if res.GetOk() {
				if !f.json {
					fmt.Fprintf(w, "chain OK: %d records\nhead %s\n", res.GetRecords(), res.GetHead())
				}
				return nil
			}
			if !f.json {
				fmt.Fprintf(w, "chain BROKEN at seq %d: %s: %s\n%d records verified before it\nhead of the verified part %s\n",
					res.GetFirstBad(), res.GetProblem(), res.GetDetail(), res.GetRecords(), res.GetHead())
			}
			return &exitError{code: 1, err: fmt.Errorf("audit chain broken at seq %d (%s)", res.GetFirstBad(), res.GetProblem())}
		},
	}
	c.Flags().StringVar(&db, "db", "", "verify this SQLite database file directly, without a server")
	return c
}

func verifyRemote(ctx context.Context, f *humanFlags) (*airlockv1.VerifyChainResponse, error) {
	c, err := dialAudit(f)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.VerifyChain(ctx, &airlockv1.VerifyChainRequest{})
}

func verifyFile(ctx context.Context, path string) (*airlockv1.VerifyChainResponse, error) {
	// sqlite.Open creates a missing file; verifying an empty new database
	// would report a mistyped path as an intact chain.
	if st, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("--db: %w", err)
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("--db: %s is not a regular file", path)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("--db: %w", err)
	}
	defer st.Close()
	res, err := audit.Verify(ctx, st)
	if err != nil {
		return nil, err
	}
	return &airlockv1.VerifyChainResponse{Ok: res.OK, Records: res.Records, Head: res.Head,
		FirstBad: res.FirstBad, Problem: res.Problem, Detail: res.Detail}, nil
}

// eachEvent pages through QueryEvents.
func eachEvent(ctx context.Context, c *auditConn, req *airlockv1.QueryEventsRequest, fn func(*airlockv1.AuditEvent) error) error {
	for {
		resp, err := c.QueryEvents(ctx, req)
		if err != nil {
			return err
		}
		for _, ev := range resp.GetEvents() {
			if err := fn(ev); err != nil {
				return err
			}
		}
		if resp.GetNextPageToken() == "" {
			return nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

// eventPrinter prints events as a table or as JSON lines.
type eventPrinter struct {
	w    io.Writer
	json bool
	n    int
}

func newEventPrinter(w io.Writer, asJSON bool) *eventPrinter {
	return &eventPrinter{w: w, json: asJSON}
}

func (p *eventPrinter) print(ev *airlockv1.AuditEvent) error {
	if p.json {
		line, err := eventJSON(ev)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(p.w, "%s\n", line)
		p.n++
		return err
	}
	if p.n == 0 {
		fmt.Fprintf(p.w, "%-6s %-24s %-22s %-28s %-12s %-10s %-12s %-8s %s\n",
			"SEQ", "TIME", "TYPE", "ACTION", "PRINCIPAL", "WORKSPACE", "KIND", "EFFECT", "DETAIL")
	}
	p.n++
	m := ev.GetEvent().AsMap()
	principal := str(m, "principal")
	if v := str(m, "voter"); v != "" {
		principal = v
	}
	_, err := fmt.Fprintf(p.w, "%-6d %-24s %-22s %-28s %-12s %-10s %-12s %-8s %s\n", ev.GetSeq(),
		ev.GetTime().AsTime().UTC().Format("2006-01-02T15:04:05.000Z"), ev.GetType(), orDash(ev.GetActionId()),
		orDash(principal), orDash(str(m, "workspace")), orDash(str(m, "kind")), orDash(str(m, "effect")), detail(m))
	return err
}

// eventJSON is the stored event with its chain hashes, keys sorted, on one
// line.
func eventJSON(ev *airlockv1.AuditEvent) ([]byte, error) {
	m := ev.GetEvent().AsMap()
	if m == nil {
		m = map[string]any{}
	}
	m["prev_hash"], m["hash"] = ev.GetPrevHash(), ev.GetHash()
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("event %d: %w", ev.GetSeq(), err)
	}
	return b, nil
}

// detail is the one thing most worth seeing for an event's type. Every
// value came from a caller at some point, so control characters are
// replaced before they reach a terminal.
func detail(m map[string]any) string {
	var parts []string
	if ps, ok := m["paths"].([]any); ok {
		var s []string
		for _, p := range ps {
			if v, ok := p.(string); ok {
				s = append(s, v)
			}
		}
		parts = append(parts, strings.Join(s, ","))
	}
	if rs, ok := m["reasons"].([]any); ok {
		for _, r := range rs {
			if rm, ok := r.(map[string]any); ok {
				parts = append(parts, "["+str(rm, "rule_id")+"] "+str(rm, "message"))
			}
		}
	}
	if v := str(m, "vote"); v != "" {
		parts = append(parts, "vote "+v)
	}
	for _, k := range []string{"error_reason", "error_message", "comment"} {
		if v := str(m, k); v != "" {
			parts = append(parts, v)
		}
	}
	return sanitize(strings.Join(parts, " "))
}

func str(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return sanitize(v)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
