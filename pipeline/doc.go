// Package pipeline is Airlock's one request path, readable top to bottom in
// Submit: plan → decide → record → execute or escalate → record. It joins
// the domain packages (plan, policy, sandbox, store, audit) and knows
// nothing of gRPC; the server maps requests in and records out.
//
// Invariants it owns: a decision is durably recorded before execution
// starts; any failure to record fails the request closed; an allowed action
// executes exactly what was planned (file changes are bound to the hashes the
// plan saw); an idempotency key executes at most once.
package pipeline
