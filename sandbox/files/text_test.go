package files

import "testing"

func TestReplace(t *testing.T) {
	tests := []struct {
		name, content, old, new string
		all                     bool
		want                    string
		matches                 int
		code                    Code
	}{
		{name: "one", content: "a b c", old: "b", new: "B", want: "a B c", matches: 1},
		{name: "none", content: "a b c", old: "x", new: "X", code: EditMismatch},
		{name: "two without all", content: "b b", old: "b", new: "B", matches: 2, code: EditMismatch},
		{name: "two with all", content: "b b", old: "b", new: "B", all: true, want: "B B", matches: 2},
		{name: "non-overlapping count", content: "aaaa", old: "aa", new: "b", all: true, want: "bb", matches: 2},
		{name: "delete text", content: "keep drop", old: " drop", new: "", want: "keep", matches: 1},
		{name: "multiline", content: "x\ny\nz\n", old: "y\nz", new: "Y", want: "x\nY\n", matches: 1},
		{name: "empty old", content: "abc", old: "", new: "x", code: InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, n, err := Replace([]byte(tc.content), tc.old, tc.new, tc.all)
			wantCode(t, err, tc.code)
			if n != tc.matches || string(got) != tc.want {
				t.Fatalf("got %q, %d matches", got, n)
			}
			if tc.code == EditMismatch {
				if e := err.(*Error); e.Matches != tc.matches {
					t.Fatalf("Error.Matches = %d", e.Matches)
				}
			}
		})
	}
}

func TestIsBinary(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "text", in: "hello\n", want: false},
		{name: "empty", in: "", want: false},
		{name: "utf8", in: "héllo ✓", want: false},
		{name: "nul", in: "a\x00b", want: true},
		{name: "invalid utf8", in: "\xff\xfe", want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsBinary([]byte(tc.in)); got != tc.want {
				t.Fatalf("IsBinary = %v", got)
			}
		})
	}
}

func TestSHA256Hex(t *testing.T) {
	if got := SHA256Hex(nil); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("got %s", got)
	}
}
