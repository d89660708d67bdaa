package auth

import (
	"errors"
	"strings"
	"testing"
)

func entry(id, token string, roles ...string) Entry {
	return Entry{Principal: Principal{ID: id, Kind: KindAgent, Roles: roles}, TokenSHA256: HashToken(token)}
}

func TestAuthenticate(t *testing.T) {
	tokens, err := NewTokens([]Entry{
		entry("agent-1", "agent-secret", "agent"),
		{Principal: Principal{ID: "alice", Kind: KindHuman, Roles: []string{"approver"}},
			TokenSHA256: strings.ToUpper(HashToken("alice-secret"))},
	})
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	cases := []struct {
		name   string
		token  string
		wantID string // "" means ErrUnknownToken
	}{
		{name: "agent token", token: "agent-secret", wantID: "agent-1"},
		{name: "upper-case configured hash", token: "alice-secret", wantID: "alice"},
		{name: "unknown token", token: "nobody-secret"},
		{name: "empty token", token: ""},
		{name: "token with trailing newline", token: "agent-secret\n"},
		{name: "prefix of a token", token: "agent-secre"},
		{name: "the stored hash used as a token", token: HashToken("agent-secret")},
		{name: "the stored hash upper-case", token: strings.ToUpper(HashToken("alice-secret"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tokens.Authenticate(tc.token)
			if tc.wantID == "" {
				if !errors.Is(err, ErrUnknownToken) || p != nil {
					t.Fatalf("Authenticate = %v, %v; want nil, ErrUnknownToken", p, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if p.ID != tc.wantID {
				t.Fatalf("ID = %q, want %q", p.ID, tc.wantID)
			}
		})
	}
}

func TestNewTokensRefuses(t *testing.T) {
	good := HashToken("t1")
	cases := []struct {
		name    string
		entries []Entry
		wantKey string
	}{
		{name: "duplicate hash", entries: []Entry{entry("a", "same"), entry("b", "same")},
			wantKey: "principals[1].token_sha256"},
		{name: "duplicate hash differing in case", entries: []Entry{
			entry("a", "same"),
			{Principal: Principal{ID: "b"}, TokenSHA256: strings.ToUpper(HashToken("same"))}},
			wantKey: "principals[1].token_sha256"},
		{name: "duplicate id", entries: []Entry{entry("a", "t1"), entry("a", "t2")}, wantKey: "principals[1].id"},
		{name: "not hex", entries: []Entry{{Principal: Principal{ID: "a"}, TokenSHA256: strings.Repeat("zz", 32)}},
			wantKey: "principals[0].token_sha256"},
		{name: "too short", entries: []Entry{{Principal: Principal{ID: "a"}, TokenSHA256: good[:62]}},
			wantKey: "principals[0].token_sha256"},
		{name: "too long", entries: []Entry{{Principal: Principal{ID: "a"}, TokenSHA256: good + "00"}},
			wantKey: "principals[0].token_sha256"},
		{name: "odd length", entries: []Entry{{Principal: Principal{ID: "a"}, TokenSHA256: good[:63]}},
			wantKey: "principals[0].token_sha256"},
		{name: "empty hash", entries: []Entry{entry("a", "t1"), {Principal: Principal{ID: "b"}}},
			wantKey: "principals[1].token_sha256"},
		{name: "the raw token instead of its hash", entries: []Entry{{Principal: Principal{ID: "a"}, TokenSHA256: "demo-agent-token"}},
			wantKey: "principals[0].token_sha256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tokens, err := NewTokens(tc.entries)
			if err == nil {
				t.Fatalf("NewTokens = %v, nil; want an error naming %s", tokens, tc.wantKey)
			}
			if !strings.Contains(err.Error(), tc.wantKey) {
				t.Fatalf("error %q does not name %s", err, tc.wantKey)
			}
		})
	}
}

func TestNewTokensEmpty(t *testing.T) {
	tokens, err := NewTokens(nil)
	if err != nil {
		t.Fatalf("NewTokens(nil): %v", err)
	}
	if p, err := tokens.Authenticate("anything"); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("Authenticate on an empty table = %v, %v; want ErrUnknownToken", p, err)
	}
}

func TestHashToken(t *testing.T) {
	// printf %s demo-agent-token | sha256sum, as documented in examples/airlock.yaml.
	const want = "b83e3e191f2acfe2c3c27f2079c5c13ea8409e9abbf31b671d421d80bbc847c9"
	if got := HashToken("demo-agent-token"); got != want {
		t.Fatalf("HashToken = %s, want %s", got, want)
	}
}

func TestHasRole(t *testing.T) {
	p := &Principal{ID: "bob", Kind: KindHuman, Roles: []string{"senior", "approver"}}
	cases := []struct {
		name  string
		p     *Principal
		roles []string
		want  bool
	}{
		{name: "one held role", p: p, roles: []string{"approver"}, want: true},
		{name: "any of several", p: p, roles: []string{"admin", "senior"}, want: true},
		{name: "none held", p: p, roles: []string{"admin", "developer"}},
		{name: "no roles asked", p: p},
		{name: "case matters", p: p, roles: []string{"Approver"}},
		{name: "principal without roles", p: &Principal{ID: "x"}, roles: []string{"approver"}},
		{name: "empty role name is not held", p: p, roles: []string{""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.HasRole(tc.roles...); got != tc.want {
				t.Fatalf("HasRole(%q) = %v, want %v", tc.roles, got, tc.want)
			}
		})
	}
}

// The table hands out principals; a caller mutating one must not change what
// the next caller authenticates as.
func TestAuthenticateIsolatesEntries(t *testing.T) {
	in := []Entry{entry("a", "t1", "agent")}
	tokens, err := NewTokens(in)
	if err != nil {
		t.Fatal(err)
	}
	in[0].ID = "changed"
	p, err := tokens.Authenticate("t1")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "a" {
		t.Fatalf("ID = %q after the caller changed its entry; want %q", p.ID, "a")
	}
}
