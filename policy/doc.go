// Package policy owns the decision step of Airlock's pipeline: it loads the
// platform team's rego from a directory, compiles it once in strict mode,
// evaluates data.airlock.decision against an Input and turns the result into a
// Decision. It also owns the input and decision contract (input.go,
// decision.go) that every policy is written against.
//
// The package must never fail open. Every path that does not produce a
// well-formed decision (no decision, an evaluation error, a timeout, a
// malformed result) yields Effect Deny with a reason whose rule_id starts
// with "airlock.", and the cause in Decision.Err. It must never import gRPC,
// generated API types, the sandbox or the store: mapping to and from the wire
// is the server's job.
//
// # Decision contract
//
// The query (default data.airlock.decision) must produce exactly one object:
//
//	{
//	  "effect":   "allow" | "deny" | "escalate",            // required
//	  "reasons":  [{"rule_id": string,                       // required, non-empty
//	                "message": string,                       // required (may be "")
//	                "effect":  "allow"|"deny"|"escalate"}],  // required
//	  "approval": {"roles": [string, ...],                   // optional, escalate only
//	               "approvals": n,                           //   integer 1..10
//	               "ttl_seconds": n},                        //   integer 60..604800
//	  "sandbox":  {"network": bool,                          // optional, allow only
//	               "timeout_ms": n,                          //   integer 0..2^32-1
//	               "output_limit_bytes": n}                  //   integer >= 0
//	}
//
// "reasons" is required (at least one entry) when the effect is deny or
// escalate; it may be empty for allow. Unknown keys are ignored so that
// policies can carry extra data for their own tests. "approval" and
// "sandbox" may be null or absent; a missing approval field takes the
// engine's configured default (roles ["approver"], 1 approval, 3600 s).
//
// The engine combines strictly on top of what the policy says: the effect is
// the strongest of the policy's effect and every reason's effect (deny beats
// escalate beats allow), so a policy cannot allow what one of its own reasons
// denies. Reasons are returned deny first, then escalate, then allow, each
// group sorted by rule_id. A Decision carries an Approval only when its
// effect is escalate and a Sandbox grant only when it is allow.
//
// Rule ids starting with "airlock." are the engine's own fail-closed reasons:
// airlock.undefined, airlock.eval_error (including builtin errors, which are
// strict), airlock.timeout, airlock.canceled, airlock.malformed and
// airlock.invalid_input. examples/policies/README.md restates this contract
// for policy authors.
//
// Sources are every *.rego (except *_test.rego) and every data.json,
// data.yaml or data.yml under the directory, hidden files and directories excluded; a
// data file's directory is its path under data (envs/prod/data.json is
// data.envs.prod). An OPA bundle (.tar.gz, from a file or an HTTP(S) URL
// polled with ETags, optionally signed) is read with OPA's own bundle reader
// and verifier into the same in-memory form. Sources are read into memory
// once per load, so the revision (a hash of sorted paths and contents)
// always names exactly the bytes that were compiled.
//
// # Reloads
//
// A new revision is built beside the live one and goes live only when it
// compiles and the *_test.rego tests shipped with it pass; otherwise the
// live revision keeps serving and the error is kept for Status. A revision
// that denies every action of a small smoke set still goes live, with a
// warning. The swap is one atomic pointer store: an evaluation finishes on
// the revision it started with, and every Decision names it. Run watches a
// directory (debounced, with a safety re-scan) or polls a bundle;
// docs/POLICY-OPS.md is the operator's guide.
package policy
