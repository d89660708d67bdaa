package policy

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/profiler"
	"github.com/open-policy-agent/opa/v1/rego"
)

func TestTmpProfile(t *testing.T) {
	e, err := New(context.Background(), Conf{Dir: copyExamples(t)})
	if err != nil {
		t.Fatal(err)
	}
	in := fileInput("write_file", "prod", "src/cart/cart.go")
	p := profiler.New()
	for range 100 {
		_, err := e.live.Load().query.Eval(context.Background(), rego.EvalParsedInput(in.ToValue()), rego.EvalQueryTracer(p))
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range p.ReportTopNResults(30, []string{"total_time_ns"}) {
		t.Logf("%8d us  evals=%d  %s:%d", r.ExprTimeNs/100/1000, r.NumEval/100, r.Location.File, r.Location.Row)
	}
}
