package policy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkDecideExample decides a prod write under src/ with the example
// policies: the common case on the hot path.
func BenchmarkDecideExample(b *testing.B) {
	benchDecide(b, copyExamples(b))
}

// BenchmarkDecide1000Rules decides the same input against the example
// policies plus 1,000 generated rules written in the examples' style (flat
// facts, equality and `in`), none of which match: rule indexing should keep
// the cost close to the example's. Compare the two with
//
//	go test -run='^$' -bench=Decide -benchmem -count=5 ./policy/
func BenchmarkDecide1000Rules(b *testing.B) {
	dir := copyExamples(b)
	writeFiles(b, dir, map[string]string{"generated.rego": generatedPolicy(1000)})
	// Prove the generated rules are live, so that the benchmark cannot pass
	// by measuring a policy that ignores them.
	e, err := New(context.Background(), Conf{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	if d := e.Decide(context.Background(), fileInput("write_file", "prod", "gen0994/x.txt")); d.Effect != Deny || !slices.Contains(ruleIDs(d), "gen.r0994") {
		b.Fatalf("generated rule did not fire: %+v", d)
	}
	benchDecide(b, dir)
}

func benchDecide(b *testing.B, dir string) {
	ctx := context.Background()
	// The loaded machines benchmarks run on can stall a goroutine for longer
	// than the production timeout; a timeout here would measure the host.
	e, err := New(ctx, Conf{Dir: dir, Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	in := fileInput("write_file", "prod", "src/cart/cart.go")
	if d := e.Decide(ctx, in); d.Effect != Allow || d.Err != nil {
		b.Fatalf("benchmark input not allowed: %+v", d)
	}
	b.ReportAllocs()
	cpu := processCPU()
	n := 0
	for b.Loop() {
		if d := e.Decide(ctx, in); d.Effect != Allow {
			b.Fatal(d.Err)
		}
		n++
	}
	if used := processCPU() - cpu; used > 0 && n > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(n), "cpu-ns/op")
	}
}

// generatedPolicy writes n rules of package airlock, cycling through the
// shapes the example rules use.
func generatedPolicy(n int) string {
	var sb strings.Builder
	sb.WriteString("package airlock\n\n")
	for i := range n {
		id := fmt.Sprintf("gen.r%04d", i)
		msg := fmt.Sprintf("generated rule %d; do something else instead", i)
		switch i % 6 {
		case 0:
			fmt.Fprintf(&sb, "escalate contains {\"rule_id\": %q, \"message\": %q} if {\n\tinput.plan.mutating\n\t\"gen%04d\" in input.plan.top_dirs\n}\n\n", id, msg, i)
		case 1:
			fmt.Fprintf(&sb, "deny contains {\"rule_id\": %q, \"message\": %q} if {\n\t\"gen%04d.conf\" in input.plan.bases\n}\n\n", id, msg, i)
		case 2:
			fmt.Fprintf(&sb, "deny contains {\"rule_id\": %q, \"message\": %q} if {\n\tinput.action.kind == \"write_file\"\n\tinput.plan.ext == \".gen%04d\"\n}\n\n", id, msg, i)
		case 3:
			fmt.Fprintf(&sb, "escalate contains {\"rule_id\": %q, \"message\": %q} if {\n\t\"tool%04d\" in input.plan.command.names\n}\n\n", id, msg, i)
		case 4:
			fmt.Fprintf(&sb, "deny contains {\"rule_id\": %q, \"message\": %q} if {\n\tinput.plan.top_dir == \"gen%04d\"\n\tinput.workspace.environment == \"prod\"\n}\n\n", id, msg, i)
		case 5:
			fmt.Fprintf(&sb, "allow contains {\"rule_id\": %q, \"message\": %q} if {\n\tinput.action.kind == \"read_file\"\n\t\"gen%04d\" in input.plan.written_paths\n}\n\n", id, msg, i)
		}
	}
	return sb.String()
}

// BenchmarkDecideRatio reports how much the 1,000 generated rules cost
// relative to the example policy alone (target: at most 2). The two engines
// decide alternately, so that load on a shared machine hits both alike.
func BenchmarkDecideRatio(b *testing.B) {
	ctx := context.Background()
	small := copyExamples(b)
	large := copyExamples(b)
	writeFiles(b, large, map[string]string{"generated.rego": generatedPolicy(1000)})
	es, err := New(ctx, Conf{Dir: small, Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	el, err := New(ctx, Conf{Dir: large, Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	in := fileInput("write_file", "prod", "src/cart/cart.go")
	var ts, tl time.Duration
	for b.Loop() {
		start := time.Now()
		ds := es.Decide(ctx, in)
		mid := time.Now()
		dl := el.Decide(ctx, in)
		ts += mid.Sub(start)
		tl += time.Since(mid)
		if ds.Effect != Allow || dl.Effect != Allow {
			b.Fatalf("benchmark input not allowed: %+v %+v", ds, dl)
		}
	}
	b.ReportMetric(float64(tl)/float64(ts), "ratio")
}
