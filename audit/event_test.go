package audit

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestBodyMatchesJSON: the spliced body must be byte-for-byte what
// json.Marshal gives for the full event, or Verify and other tools that
// re-encode would disagree with the stored hash input.
func TestBodyMatchesJSON(t *testing.T) {
	cases := []struct {
		name string
		ev   Event
		t    time.Time
	}{
		{name: "minimal", ev: Event{Type: TypeActionReceived}, t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{name: "all fields", ev: Event{
			Type: TypeActionDecided, ActionID: "a1", Principal: "agent:alice", PrincipalKind: "agent",
			OnBehalfOf: "alice", Workspace: "ws", Environment: "prod", SessionID: "s1", Kind: "write_file",
			Paths: []string{"a.go", "b/c.go"}, Digest: "sha256:00", Effect: "deny",
			Reasons:        []Reason{{RuleID: "r1", Message: "no", Effect: "deny"}},
			PolicyRevision: "rev1", ErrorReason: "REASON_X", ErrorMessage: "bad", DurationMS: 1.25,
			Result: map[string]any{"size": 3, "sha256": "ab"}, Intent: "fix bug",
		}, t: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)},
		{name: "hostile strings", ev: Event{
			Type: TypeActionRejectedInput, ActionID: `"},"seq":1,{"`, Principal: "\x00\xff\u2028<script>",
			Paths: []string{"../../etc/passwd", "\n"},
		}, t: time.Date(2026, 12, 31, 23, 59, 59, 1, time.FixedZone("Z", 3600))},
		{name: "zero nanoseconds trimmed", ev: Event{Type: TypeActionFailed}, t: time.Unix(1, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev
			rest, err := encodeRest(&ev)
			if err != nil {
				t.Fatalf("encodeRest: %v", err)
			}
			got := body(42, tc.t, rest)
			ev.Seq, ev.Time = 42, tc.t.UTC()
			want, err := json.Marshal(&ev)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			if string(got) != string(want) {
				t.Fatalf("body\n got %s\nwant %s", got, want)
			}
			if !json.Valid(got) {
				t.Fatalf("body is not valid JSON: %s", got)
			}
		})
	}
}

func TestEncodeRestRefuses(t *testing.T) {
	cases := []struct {
		name string
		ev   Event
	}{
		{"empty type", Event{}},
		{"no dot", Event{Type: "action"}},
		{"upper case", Event{Type: "Action.Received"}},
		{"trailing dot", Event{Type: "action."}},
		{"leading dot", Event{Type: ".received"}},
		{"double dot", Event{Type: "action..received"}},
		{"space", Event{Type: "action.received now"}},
		{"json injection", Event{Type: `action.x","seq":1`}},
		{"too long", Event{Type: Type("a." + strings.Repeat("b", 63))}},
		{"NaN duration", Event{Type: TypeActionExecuted, DurationMS: math.NaN()}},
		{"unencodable result", Event{Type: TypeActionExecuted, Result: map[string]any{"c": make(chan int)}}},
		{"oversized", Event{Type: TypeActionExecuted, Paths: []string{strings.Repeat("p", MaxBodyBytes)}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev
			if _, err := encodeRest(&ev); err == nil {
				t.Fatalf("encodeRest(%+v) succeeded, want an error", tc.ev.Type)
			}
		})
	}
}

func TestCaps(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		wantLen int
	}{
		{"short", "hello", 5},
		{"exact", strings.Repeat("a", MaxIntentBytes), MaxIntentBytes},
		{"long ascii", strings.Repeat("a", 5000), MaxIntentBytes},
		// 3-byte runes: 1024 is not a multiple of 3, the cut must back off.
		{"long multibyte", strings.Repeat("€", 1000), 1023},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := Event{Type: TypeActionReceived, Intent: tc.in, ErrorMessage: tc.in}
			if _, err := encodeRest(&ev); err != nil {
				t.Fatalf("encodeRest: %v", err)
			}
			for _, s := range []string{ev.Intent, ev.ErrorMessage} {
				if len(s) != tc.wantLen || !utf8.ValidString(s) {
					t.Errorf("capped to %d bytes (valid UTF-8 %v), want %d", len(s), utf8.ValidString(s), tc.wantLen)
				}
			}
		})
	}
}
