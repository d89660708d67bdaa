// Package approval owns escalations after they are recorded: who may vote
// (humans with an eligible role; never the agent, never the requesting
// principal, and under separation of duties never the person the agent acts
// for), one vote per person, thresholds (N approvals, one rejection ends
// it), expiry, the webhook that announces pending actions and outcomes, and
// handing an approved action to the pipeline exactly once.
//
// Exactly once: the vote that completes the approval claims the action by
// moving it from pending_approval to running with a status compare-and-set
// in the store; only the claimant executes, on any replica.
package approval
