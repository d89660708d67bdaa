// Package auth maps bearer tokens to principals. Tokens are configured as
// SHA-256 hashes and looked up by hash; a token itself is never stored or
// logged. It knows nothing of gRPC: the server extracts the token.
package auth
