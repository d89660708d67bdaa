package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// GenesisHash is the prev_hash of the first record.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// MaxBodyBytes bounds one event's JSON. An event this large is a caller bug
// (content where a summary belongs); refusing it fails the action closed.
const MaxBodyBytes = 256 << 10

// zeroPrefix is how json.Marshal begins an Event whose Seq and Time are
// zero. Record marshals events with these zeroed in the caller's goroutine
// and the single writer splices the real seq and time in, so the costly
// encoding runs in parallel and the writer only formats two values.
const zeroPrefix = `{"seq":0,"time":"0001-01-01T00:00:00Z"`

// encodeRest validates and normalises ev (capping free text), and returns
// its JSON after the seq and time members: body = prefix(seq, time) + rest.
func encodeRest(ev *Event) ([]byte, error) {
	if !validType(ev.Type) {
		return nil, fmt.Errorf("audit: invalid event type %q", ev.Type)
	}
	if math.IsNaN(ev.DurationMS) || math.IsInf(ev.DurationMS, 0) {
		return nil, fmt.Errorf("audit: %s: duration_ms is not a finite number", ev.Type)
	}
	ev.Intent = truncate(ev.Intent, MaxIntentBytes)
	ev.ErrorMessage = truncate(ev.ErrorMessage, MaxErrorMessageBytes)
	ev.Comment = truncate(ev.Comment, MaxErrorMessageBytes)
	z := *ev
	z.Seq, z.Time = 0, time.Time{}
	b, err := json.Marshal(&z)
	if err != nil {
		return nil, fmt.Errorf("audit: encode %s event: %w", ev.Type, err)
	}
	if len(b) > MaxBodyBytes {
		return nil, fmt.Errorf("audit: %s event is %d bytes, limit %d", ev.Type, len(b), MaxBodyBytes)
	}
	if !strings.HasPrefix(string(b), zeroPrefix) {
		// Only possible if Event's first fields change; refuse rather than
		// write bodies that Verify would read differently.
		return nil, errors.New("audit: event encoding does not start with seq and time")
	}
	return b[len(zeroPrefix):], nil
}

// body is the canonical JSON of the event: exactly what json.Marshal gives
// for the event with seq and t set (t in UTC).
func body(seq int64, t time.Time, rest []byte) []byte {
	b := make([]byte, 0, len(zeroPrefix)+24+len(rest))
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"time":"`...)
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	return append(b, rest...)
}

// Hash is the chain hash of a record: hex(SHA-256(prevHash || body)).
func Hash(prevHash string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(prevHash))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// validHash reports whether s looks like a chain hash (64 lower-case hex).
func validHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
