//go:build unix

package policy

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used. Benchmarks report it per
// op beside wall time because the shared machines they run on are often
// oversubscribed, which inflates wall time but not CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
