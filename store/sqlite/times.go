package sqlite

import "time"

// Times are stored as UTC unix nanoseconds so that they sort and compare as
// integers. The zero time.Time (outside the int64 nanosecond range) is
// stored as 0 and read back as the zero time.

func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
