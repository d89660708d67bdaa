//go:build unix

package files

import (
	"io/fs"
	"syscall"
)

// nlink reports the hard link count of fi, or 0 when the platform does not say.
func nlink(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink) //nolint:unconvert // Nlink is narrower on some unix platforms
	}
	return 0
}
