package policy

import "slices"

// Differs says whether two decisions on the same input disagree in a way a
// platform team cares about: the effect or the rules that decided (their
// ids, in the engine's canonical order). Messages, revisions and timings
// are ignored.
func Differs(a, b Decision) bool {
	if a.Effect != b.Effect || len(a.Reasons) != len(b.Reasons) {
		return true
	}
	return !slices.EqualFunc(a.Reasons, b.Reasons, func(x, y Reason) bool {
		return x.RuleID == y.RuleID && x.Effect == y.Effect
	})
}
