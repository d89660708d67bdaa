package files

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"unicode/utf8"
)

// Replace replaces old with new in content: exactly one match, or every match when all is set. Matches are
// counted without overlap, left to right, as bytes.Count does. A count other than the one asked for fails with
// EditMismatch and Matches set, so the agent learns whether its text was missing or ambiguous.
func Replace(content []byte, old, new string, all bool) ([]byte, int, error) {
	const op = "edit_file"
	if old == "" {
		return nil, 0, newErr(InvalidArgument, op, "", "old text must not be empty")
	}
	n := bytes.Count(content, []byte(old))
	switch {
	case n == 0:
		return nil, 0, &Error{Code: EditMismatch, Op: op, Msg: "old text not found", Matches: 0}
	case n > 1 && !all:
		return nil, n, &Error{Code: EditMismatch, Op: op, Matches: n,
			Msg: "old text found more than once; add context to make it unique or replace all"}
	}
	limit := 1
	if all {
		limit = -1
	}
	return bytes.Replace(content, []byte(old), []byte(new), limit), n, nil
}

// SHA256Hex is the lowercase hex SHA-256 used everywhere a file state is bound.
func SHA256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// IsBinary reports whether b should not be treated as text: it holds a NUL byte or is not valid UTF-8.
func IsBinary(b []byte) bool {
	return bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b)
}
