// Package client is the Go client for Airlock's gRPC API.
//
// It owns the agent's side of the conversation: dialling with a bearer
// token, one typed method per action kind, safe retries (only with an
// idempotency key, so nothing ever runs twice), following an escalated
// action until humans decide it, and reading the ErrorInfo reasons the
// server attaches to its errors.
//
// A policy denial is a normal answer, not an error: check IsDenied on the
// returned record. An error means the request was refused before any policy
// ran, the action was allowed but failed while executing (ActionID tells
// which), or the server could not be reached (IsTransport).
//
// The package must never send a token in the clear to a remote host: without
// TLS it dials only loopback addresses and unix sockets unless the caller
// explicitly opts in.
package client
