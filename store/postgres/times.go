package postgres

import "time"

// Times are stored as UTC unix nanoseconds (timestamptz keeps only
// microseconds). The zero time.Time is stored as 0 and read back as zero.

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

// bin turns a string into a bytea parameter; never nil, because pgx sends
// a nil slice as NULL and every column is NOT NULL.
func bin(s string) []byte {
	if s == "" {
		return []byte{}
	}
	return []byte(s)
}

// nonNil stores an empty blob rather than NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
