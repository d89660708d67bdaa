package policy

import (
	"context"
	"iter"
)

// Recorded is one action as it was judged: the exact input and the
// decision then in force.
type Recorded struct {
	// ID names the action (for reports).
	ID       string
	Input    *Input
	Decision Decision
}

// Difference is a recorded action a candidate policy decides differently.
type Difference struct {
	ID        string
	Input     *Input
	Recorded  Decision
	Candidate Decision
}

// Replay decides every recorded input with candidate and returns those
// whose decision Differs from the recorded one, in input order. It stops
// early when ctx ends. Nothing is executed: this is how a platform team
// sees what a policy change would have done to yesterday's traffic.
func Replay(ctx context.Context, candidate *Engine, recs iter.Seq[Recorded]) []Difference {
	var out []Difference
	for r := range recs {
		if ctx.Err() != nil {
			break
		}
		d := candidate.Decide(ctx, r.Input)
		if Differs(r.Decision, d) {
			out = append(out, Difference{ID: r.ID, Input: r.Input, Recorded: r.Decision, Candidate: d})
		}
	}
	return out
}
