package policy

import "testing"

func BenchmarkDecideTrivial(b *testing.B) {
	dir := b.TempDir()
	writeFiles(b, dir, policyWith(`decision := {"effect": "allow", "reasons": [{"rule_id": "a", "message": "m", "effect": "allow"}]}`))
	benchDecide(b, dir)
}
