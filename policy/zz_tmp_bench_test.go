package policy

import (
	"os"
	"strings"
	"testing"
)

func BenchmarkDecideTrivial(b *testing.B) {
	dir := b.TempDir()
	writeFiles(b, dir, policyWith(`decision := {"effect": "allow", "reasons": [{"rule_id": "a", "message": "m", "effect": "allow"}]}`))
	benchDecide(b, dir)
}

func BenchmarkDecideWithout(b *testing.B) {
	dir := copyExamples(b)
	for _, f := range strings.Fields(os.Getenv("DROP")) {
		os.Remove(dir + "/" + f)
	}
	if x := os.Getenv("ADD"); x != "" {
		writeFiles(b, dir, map[string]string{"add.rego": "package airlock\n\nimport data.airlock.lib\n\n" + x})
	}
	benchDecide(b, dir)
}
