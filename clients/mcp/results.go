package mcp

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/grpc/status"

	client "github.com/airlock-dev/airlock/clients/go"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

func text(isError bool, s string) *sdk.CallToolResult {
	return &sdk.CallToolResult{IsError: isError, Content: []sdk.Content{&sdk.TextContent{Text: s}}}
}

func toolError(s string) *sdk.CallToolResult { return text(true, s) }

// summary is the structured part of every result, for programs.
func summary(rec *airlockv1.ActionRecord) map[string]any {
	return map[string]any{
		"action_id": rec.GetActionId(),
		"status":    statusWord(rec.GetStatus()),
		"effect":    strings.ToLower(strings.TrimPrefix(rec.GetDecision().GetEffect().String(), "EFFECT_")),
	}
}

func statusWord(s airlockv1.ActionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "ACTION_STATUS_"))
}

func reasons(b *strings.Builder, rec *airlockv1.ActionRecord) {
	for _, r := range rec.GetDecision().GetReasons() {
		fmt.Fprintf(b, "- [%s] %s\n", r.GetRuleId(), r.GetMessage())
	}
}

// finalResult reports an action that will not change any more, or a
// running one (reported as not done).
func finalResult(rec *airlockv1.ActionRecord, r renderer) *sdk.CallToolResult {
	var b strings.Builder
	var res *sdk.CallToolResult
	switch rec.GetStatus() {
	case airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED:
		res = r(rec)
	case airlockv1.ActionStatus_ACTION_STATUS_DENIED:
		b.WriteString("DENIED by policy; nothing was executed. Reasons:\n")
		reasons(&b, rec)
		b.WriteString("Change the request so that it satisfies these rules, or ask the user.")
		res = toolError(b.String())
	case airlockv1.ActionStatus_ACTION_STATUS_REJECTED:
		fmt.Fprintf(&b, "REJECTED by a human approver; nothing was executed. %s", rec.GetFailure().GetMessage())
		res = toolError(strings.TrimSpace(b.String()))
	case airlockv1.ActionStatus_ACTION_STATUS_EXPIRED:
		res = toolError("EXPIRED: no approver decided in time; nothing was executed. " + rec.GetFailure().GetMessage())
	case airlockv1.ActionStatus_ACTION_STATUS_STALE:
		res = toolError("STALE: approved, but the files changed since it was judged, so it was not executed. Read the files again and make a new request. " + rec.GetFailure().GetMessage())
	case airlockv1.ActionStatus_ACTION_STATUS_FAILED, airlockv1.ActionStatus_ACTION_STATUS_INTERRUPTED:
		f := rec.GetFailure()
		res = toolError(fmt.Sprintf("%s: %s: %s", strings.ToUpper(statusWord(rec.GetStatus())), shortReason(f.GetReason()), f.GetMessage()))
	default:
		res = toolError(fmt.Sprintf("Action %s is %s, not finished; call approval_status later.", rec.GetActionId(), statusWord(rec.GetStatus())))
	}
	appendLine(res, fmt.Sprintf("(action %s, policy %s)", rec.GetActionId(), rec.GetDecision().GetPolicyRevision()))
	res.StructuredContent = summary(rec)
	return res
}

// pendingResult says the action waits for humans, who they must be, and
// how to follow it. It is not an error, and it says plainly that nothing
// has run.
func pendingResult(rec *airlockv1.ActionRecord, note string) *sdk.CallToolResult {
	var b strings.Builder
	if note != "" {
		b.WriteString(note + " ")
	}
	fmt.Fprintf(&b, "ESCALATED: waiting for human approval; NOT executed yet.\nNeeds %s.\nReasons:\n", needs(rec))
	reasons(&b, rec)
	fmt.Fprintf(&b, "action_id: %s\nCall await_approval with this action_id to wait for the decision, or approval_status to check.", rec.GetActionId())
	res := text(false, b.String())
	res.StructuredContent = summary(rec)
	return res
}

// errorResult reports a gRPC error: a server that could not be reached,
// a request refused before any policy ran, or an allowed action that
// failed while executing.
func (b *bridge) errorResult(err error) *sdk.CallToolResult {
	if client.IsTransport(err) {
		return toolError(fmt.Sprintf("TRANSPORT ERROR: could not reach the Airlock server at %s (%s). The action was not confirmed; do not assume it ran. Tell the user that Airlock is unreachable.", b.conf.Addr, status.Convert(err).Message()))
	}
	st, ok := status.FromError(err)
	if !ok {
		return toolError("ERROR: " + err.Error())
	}
	reason := client.Reason(err)
	var sb strings.Builder
	if reason == "" {
		fmt.Fprintf(&sb, "ERROR %s: %s", st.Code(), st.Message())
	} else {
		fmt.Fprintf(&sb, "ERROR: %s: %s", shortReason(reason), st.Message())
	}
	meta := client.Metadata(err)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&sb, "\n%s: %s", k, meta[k])
	}
	return toolError(sb.String())
}

func shortReason(r string) string { return strings.TrimPrefix(r, "ERROR_REASON_") }

func appendLine(res *sdk.CallToolResult, line string) {
	res.Content = append(res.Content, &sdk.TextContent{Text: line})
}

// render describes a succeeded action of any kind but read_file.
func render(rec *airlockv1.ActionRecord) *sdk.CallToolResult {
	var b strings.Builder
	isError := false
	switch r := rec.GetResult().GetKind().(type) {
	case *airlockv1.ActionResult_WriteFile:
		verb := "Replaced"
		if r.WriteFile.GetCreated() {
			verb = "Created"
		}
		fmt.Fprintf(&b, "%s %s (%d bytes, sha256 %s).\n", verb, pathOf(rec), r.WriteFile.GetSize(), r.WriteFile.GetSha256())
		diffs(&b, rec)
	case *airlockv1.ActionResult_EditFile:
		fmt.Fprintf(&b, "Edited %s: %d replacement(s) (sha256 now %s).\n", pathOf(rec), r.EditFile.GetReplacements(), r.EditFile.GetSha256())
		diffs(&b, rec)
	case *airlockv1.ActionResult_DeleteFile:
		fmt.Fprintf(&b, "Deleted %s.\n", pathOf(rec))
	case *airlockv1.ActionResult_MoveFile:
		fmt.Fprintf(&b, "Moved %s.\n", movePaths(rec))
	case *airlockv1.ActionResult_MakeDir:
		fmt.Fprintf(&b, "Directory %s exists (created: %v).\n", pathOf(rec), r.MakeDir.GetCreated())
	case *airlockv1.ActionResult_ListDir:
		for _, e := range r.ListDir.GetEntries() {
			switch e.GetType() {
			case "dir":
				fmt.Fprintf(&b, "%s/\n", e.GetPath())
			case "file":
				fmt.Fprintf(&b, "%s (%d bytes)\n", e.GetPath(), e.GetSize())
			default:
				fmt.Fprintf(&b, "%s (%s)\n", e.GetPath(), e.GetType())
			}
		}
		if len(r.ListDir.GetEntries()) == 0 {
			b.WriteString("(empty directory)\n")
		}
		if r.ListDir.GetTruncated() {
			b.WriteString("[listing truncated at max_entries: list a subdirectory or raise max_entries]\n")
		}
	case *airlockv1.ActionResult_ApplyPatch:
		b.WriteString("Patch applied:\n")
		for _, f := range r.ApplyPatch.GetFiles() {
			fmt.Fprintf(&b, "- %s %s\n", f.GetOp(), f.GetPath())
		}
	case *airlockv1.ActionResult_Exec:
		x := r.Exec
		fmt.Fprintf(&b, "exit code %d", x.GetExitCode())
		if x.GetSignal() != "" {
			fmt.Fprintf(&b, ", ended by signal %s", x.GetSignal())
		}
		if x.GetTimedOut() {
			b.WriteString(", TIMED OUT")
		}
		fmt.Fprintf(&b, " (%d ms)\n", x.GetDurationMs())
		fmt.Fprintf(&b, "--- stdout ---\n%s", ensureNL(printable(x.GetStdout())))
		fmt.Fprintf(&b, "--- stderr ---\n%s", ensureNL(printable(x.GetStderr())))
		if x.GetTruncated() {
			fmt.Fprintf(&b, "[output truncated: stdout %d bytes, stderr %d bytes in total]\n", x.GetStdoutBytes(), x.GetStderrBytes())
		}
		isError = x.GetExitCode() != 0 || x.GetTimedOut() || x.GetSignal() != ""
	default:
		b.WriteString("Done.\n")
	}
	return text(isError, strings.TrimRight(b.String(), "\n"))
}

// renderRead returns the file's text as is, with a note when it is cut or
// not text.
func renderRead(rec *airlockv1.ActionRecord, offset int64) *sdk.CallToolResult {
	r := rec.GetResult().GetReadFile()
	c := r.GetContent()
	if bytes.IndexByte(c, 0) >= 0 || !utf8.Valid(c) {
		return text(false, fmt.Sprintf("[binary file %s: %d bytes, sha256 %s; not shown as text]", pathOf(rec), r.GetSize(), r.GetSha256()))
	}
	res := text(false, string(c))
	if r.GetTruncated() {
		end := offset + int64(len(c))
		appendLine(res, fmt.Sprintf("[truncated: bytes %d-%d of %d shown; call read_file with offset=%d to continue]", offset, end, r.GetSize(), end))
	}
	appendLine(res, fmt.Sprintf("[%s: %d bytes, sha256 %s]", pathOf(rec), r.GetSize(), r.GetSha256()))
	return res
}

func pathOf(rec *airlockv1.ActionRecord) string {
	if ps := rec.GetPlan().GetPaths(); len(ps) > 0 {
		return ps[0].GetPath()
	}
	return "the file"
}

func movePaths(rec *airlockv1.ActionRecord) string {
	var from, to string
	for _, p := range rec.GetPlan().GetPaths() {
		switch p.GetOp() {
		case "move_from":
			from = p.GetPath()
		case "move_to":
			to = p.GetPath()
		}
	}
	return from + " to " + to
}

func diffs(b *strings.Builder, rec *airlockv1.ActionRecord) {
	for _, p := range rec.GetPlan().GetPaths() {
		if p.GetDiff() != "" {
			b.WriteString(ensureNL(p.GetDiff()))
			if p.GetDiffTruncated() {
				b.WriteString("[diff truncated]\n")
			}
		}
	}
}

// printable keeps command output readable when it is not valid UTF-8.
func printable(out []byte) string {
	if utf8.Valid(out) {
		return string(out)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

func ensureNL(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
