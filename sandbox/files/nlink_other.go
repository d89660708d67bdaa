//go:build !unix

package files

import "io/fs"

// nlink returns 0 where the platform has no portable link count; the hard link guard then cannot fire, which is
// why Airlock's sandbox documents Linux as the supported host.
func nlink(fs.FileInfo) uint64 { return 0 }
