// Package server exposes Airlock over gRPC: listeners, TLS, interceptors
// (authentication, validation, panic recovery), and the services. It is
// wiring only: a handler authenticates, maps the request to the pipeline's
// domain types, calls the pipeline and maps the result back. It holds no
// policy, planning or sandbox logic.
package server
