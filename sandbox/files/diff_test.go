package files

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func seq(from, to int, repl map[int]string) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		if s, ok := repl[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		b.WriteString(itoa(i) + "\n")
	}
	return b.String()
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, old, new, want string
		added, removed       int
	}{
		{name: "equal", old: "a\n", new: "a\n"},
		{name: "one line", old: "a\nb\nc\n", new: "a\nB\nc\n", added: 1, removed: 1,
			want: "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{name: "no newline both", old: "x", new: "y", added: 1, removed: 1,
			want: "@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+y\n\\ No newline at end of file\n"},
		{name: "create", old: "", new: "new\n", added: 1, want: "@@ -0,0 +1 @@\n+new\n"},
		{name: "empty out", old: "gone\n", new: "", removed: 1, want: "@@ -1 +0,0 @@\n-gone\n"},
		{name: "add final newline", old: "a\nb", new: "a\nb\n", added: 1, removed: 1,
			want: "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
		{name: "two hunks", old: seq(1, 20, nil), new: seq(1, 20, map[int]string{2: "two", 18: "eighteen"}), added: 2, removed: 2,
			want: "@@ -1,5 +1,5 @@\n 01\n-02\n+two\n 03\n 04\n 05\n@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20\n"},
		{name: "merged hunk", old: seq(1, 10, nil), new: seq(1, 10, map[int]string{2: "two", 8: "eight"}), added: 2, removed: 2,
			want: "@@ -1,10 +1,10 @@\n 01\n-02\n+two\n 03\n 04\n 05\n 06\n 07\n-08\n+eight\n 09\n 10\n"},
		{name: "insert middle", old: seq(1, 9, nil), new: seq(1, 9, map[int]string{5: "05\nnew"}), added: 1,
			want: "@@ -3,6 +3,7 @@\n 03\n 04\n 05\n+new\n 06\n 07\n 08\n"},
	}
	diffBin, _ := exec.LookPath("diff")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, added, removed, truncated := UnifiedDiff("f.txt", []byte(tc.old), []byte(tc.new), 0)
			want := ""
			if tc.want != "" {
				want = "--- a/f.txt\n+++ b/f.txt\n" + tc.want
			}
			if got != want || added != tc.added || removed != tc.removed || truncated {
				t.Fatalf("got (+%d -%d %v)\n%s\nwant\n%s", added, removed, truncated, got, want)
			}
			if diffBin != "" && tc.want != "" {
				if ref := gnuDiffBody(t, diffBin, tc.old, tc.new); ref != tc.want {
					t.Fatalf("diff -u disagrees:\n%s", ref)
				}
			}
		})
	}
}

// gnuDiffBody runs diff -u and returns its output without the two header lines.
func gnuDiffBody(t *testing.T, bin, old, new string) string {
	dir := t.TempDir()
	o, n := filepath.Join(dir, "o"), filepath.Join(dir, "n")
	if err := os.WriteFile(o, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(n, []byte(new), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(bin, "-u", o, n).Output() // exit 1 means "differ"
	lines := strings.SplitAfterN(string(out), "\n", 3)
	if len(lines) < 3 {
		t.Fatalf("unexpected diff output %q", out)
	}
	return lines[2]
}

func TestUnifiedDiffTruncated(t *testing.T) {
	old := seq(1, 60, nil)
	new := seq(1, 60, map[int]string{5: "x", 20: "y", 40: "z", 55: "w"})
	full, a0, r0, _ := UnifiedDiff("f", []byte(old), []byte(new), 0)
	got, added, removed, truncated := UnifiedDiff("f", []byte(old), []byte(new), 120)
	if !truncated || len(got) > 120 || !strings.HasPrefix(full, got) || !strings.HasSuffix(got, "\n") {
		t.Fatalf("truncation wrong (%v, %d bytes):\n%s", truncated, len(got), got)
	}
	if added != 4 || removed != 4 || a0 != 4 || r0 != 4 {
		t.Fatalf("counts +%d -%d (full +%d -%d)", added, removed, a0, r0)
	}
}

// TestUnifiedDiffRoundTrip checks, on random texts, that the diff applies back to the new text and that its
// counts are those of a minimal diff (computed by a plain LCS table).
func TestUnifiedDiffRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func() string {
		n := rng.IntN(30)
		var b strings.Builder
		for i := range n {
			b.WriteString(string(rune('a' + rng.IntN(4))))
			if i < n-1 || rng.IntN(3) > 0 {
				b.WriteString("\n")
			}
		}
		return b.String()
	}
	for i := range 2000 {
		old, new := gen(), gen()
		d, added, removed, _ := UnifiedDiff("p/f.txt", []byte(old), []byte(new), 0)
		a, b := splitLines(old), splitLines(new)
		l := lcs(a, b)
		if added != len(b)-l || removed != len(a)-l {
			t.Fatalf("case %d not minimal: +%d -%d, lcs %d\n%q\n%q", i, added, removed, l, old, new)
		}
		if d == "" {
			if old != new {
				t.Fatalf("case %d: empty diff for different texts", i)
			}
			continue
		}
		p, err := ParsePatch(d)
		if err != nil {
			t.Fatalf("case %d: %v\n%s", i, err, d)
		}
		got, err := p.Files[0].Apply([]byte(old))
		if err != nil || string(got) != new || p.Files[0].Path() != "p/f.txt" {
			t.Fatalf("case %d: apply %q, %v\n%s", i, got, err, d)
		}
	}
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func TestUnifiedDiffLarge(t *testing.T) {
	// A large, wholly different pair must finish quickly and still be a correct diff.
	var a, b strings.Builder
	for i := range 20000 {
		a.WriteString("old " + strings.Repeat("x", i%7) + itoa(i%100) + "\n")
		b.WriteString("new " + itoa(i%97) + "\n")
	}
	d, added, removed, _ := UnifiedDiff("f", []byte(a.String()), []byte(b.String()), 0)
	if added != 20000 || removed != 20000 {
		t.Fatalf("+%d -%d", added, removed)
	}
	p, err := ParsePatch(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Files[0].Apply([]byte(a.String()))
	if err != nil || string(got) != b.String() {
		t.Fatalf("apply: %v", err)
	}
}
