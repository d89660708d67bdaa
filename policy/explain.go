package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/lineage"
)

// maxExplainLines bounds an explanation: a full trace of a large policy
// runs to many thousands of lines, and the first ones show the way.
const maxExplainLines = 5000

// Explain decides in exactly as Decide does, on the live revision, and
// returns OPA's explanation of the evaluation (the `opa eval --explain
// full` trace with locations), one line per step. It is slower than Decide
// and meant for people asking why, never for the hot path.
func (e *Engine) Explain(ctx context.Context, in *Input) (Decision, []string) {
	buf := topdown.NewBufferTracer()
	d := e.decide(ctx, e.live.Load(), in, evalOpts{log: true, tracer: buf})
	var sb strings.Builder
	topdown.PrettyTraceWithLocation(&sb, lineage.Full(*buf))
	lines := strings.Split(strings.TrimRight(sb.String(), "\n"), "\n")
	if len(lines) > maxExplainLines {
		more := len(lines) - maxExplainLines
		lines = append(lines[:maxExplainLines], fmt.Sprintf("... %d more lines", more))
	}
	return d, lines
}
