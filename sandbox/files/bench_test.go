package files

import (
	"strings"
	"testing"
)

func BenchmarkWrite4KiB(b *testing.B) {
	e := newEnv(b)
	content := []byte(strings.Repeat("0123456789abcdef", 256))
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		if _, err := e.r.Write("dir/bench.txt", content, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClean(b *testing.B) {
	e := newEnv(b)
	for b.Loop() {
		if _, err := e.r.Clean("./src/internal/../pkg/server/handler_test.go"); err != nil {
			b.Fatal(err)
		}
	}
}
