package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Kinds of principal.
const (
	KindAgent = "agent"
	KindHuman = "human"
)

// Principal is an authenticated caller.
type Principal struct {
	ID         string
	Kind       string
	Roles      []string
	OnBehalfOf string
}

// HasRole reports whether p holds any of roles.
func (p *Principal) HasRole(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// ErrUnknownToken is returned for a token no principal has.
var ErrUnknownToken = errors.New("auth: unknown token")

// Entry configures one principal.
type Entry struct {
	Principal
	// TokenSHA256 is the lowercase hex SHA-256 of the bearer token.
	TokenSHA256 string
}

// Tokens authenticates bearer tokens. It is immutable and safe for
// concurrent use.
type Tokens struct {
	byHash map[[sha256.Size]byte]*Principal
}

// NewTokens builds the table; every hash must be 64 hex digits, every id and
// hash unique.
func NewTokens(entries []Entry) (*Tokens, error) {
	t := &Tokens{byHash: make(map[[sha256.Size]byte]*Principal, len(entries))}
	ids := map[string]bool{}
	for i, e := range entries {
		raw, err := hex.DecodeString(strings.ToLower(e.TokenSHA256))
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("principals[%d].token_sha256: want 64 hex digits", i)
		}
		if ids[e.ID] {
			return nil, fmt.Errorf("principals[%d].id: %q is not unique", i, e.ID)
		}
		ids[e.ID] = true
		var k [sha256.Size]byte
		copy(k[:], raw)
		if _, dup := t.byHash[k]; dup {
			return nil, fmt.Errorf("principals[%d].token_sha256: shared with another principal", i)
		}
		p := e.Principal
		t.byHash[k] = &p
	}
	return t, nil
}

// Authenticate returns the principal holding token.
func (t *Tokens) Authenticate(token string) (*Principal, error) {
	if token == "" {
		return nil, ErrUnknownToken
	}
	// Lookup is by the token's hash: timing differences reveal at most a
	// prefix of a SHA-256 digest, which says nothing about the token.
	p, ok := t.byHash[sha256.Sum256([]byte(token))]
	if !ok {
		return nil, ErrUnknownToken
	}
	return p, nil
}

// HashToken returns the hex SHA-256 of a token, as configured.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
