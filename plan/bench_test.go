package plan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-dev/airlock/sandbox/files"
)

// BenchmarkBuildWrite plans the write of a small existing file: the stat,
// read, hash and diff every Evaluate and Submit of a write pays.
//
//	go test -run '^$' -bench BuildWrite -benchmem ./plan/
func BenchmarkBuildWrite(b *testing.B) {
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "bench.go"), []byte("package bench\n\nconst N = 0\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	root, err := files.Open(dir, files.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	a := &Action{Kind: WriteFile, Path: "src/bench.go", Content: []byte("package bench\n\nconst N = 1\n")}
	b.ReportAllocs()
	for b.Loop() {
		p, err := Build(root, "dev", a, root.Limits())
		if err != nil || p.Facts.LinesAdded != 1 {
			b.Fatalf("plan %+v err %v", p, err)
		}
	}
}
