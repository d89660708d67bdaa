//go:build !linux

package sandbox

// poolHelper: no pool to help with off Linux.
func poolHelper() {}
