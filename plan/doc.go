// Package plan turns a requested action into the facts a policy judges:
// cleaned workspace paths, what exists there now (size, hash, binary), the
// unified diff a change would make, the parsed command of an exec, and a
// digest binding the exact action and the state it was planned against.
//
// Planning never changes the workspace. It fails only for requests that are
// wrong whatever the policy says (a path leaving the workspace, a malformed
// patch or script, content over a size limit). Facts that depend on the
// workspace's content (file missing, edit text not found, patch conflict)
// are kept as a deferred error reported only if the policy allows the
// action, so that a denied agent learns nothing about files it may not touch.
package plan
