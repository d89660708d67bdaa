// Package mcp is Airlock's MCP bridge: an MCP server whose tools (read_file,
// write_file, edit_file, delete_file, move_file, list_dir, apply_patch,
// run_command, approval_status, await_approval) forward each call to a
// running Airlock over gRPC, as one agent in one workspace.
//
// It owns the translation between what a model sends and reads and what
// Airlock answers: schemas a model can follow, a denial as a tool error
// carrying the policy's reasons, an escalation that waits for humans while
// sending progress notifications (or hands back an action id), an execution
// failure with its reason, and a server that cannot be reached reported as
// exactly that.
//
// It must never decide anything itself, never touch the filesystem or run
// a command on its own, and never report an action as done unless Airlock
// said it succeeded.
package mcp
