package policy

import (
	"context"
	"sort"
	"testing"
	"time"
)

func TestTmpLatency(t *testing.T) {
	e, err := New(context.Background(), Conf{Dir: copyExamples(t), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	in := fileInput("write_file", "prod", "src/cart/cart.go")
	var ds []time.Duration
	for range 20000 {
		s := time.Now()
		e.Decide(context.Background(), in)
		ds = append(ds, time.Since(s))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	t.Logf("p50 %v p99 %v p999 %v max %v", ds[len(ds)/2], ds[len(ds)*99/100], ds[len(ds)*999/1000], ds[len(ds)-1])
}
