// Package files owns every file operation Airlock executes on an agent's behalf, confined to one workspace
// directory.
//
// All access goes through an [os.Root], so no "..", absolute path or symbolic link, including one swapped in
// between planning and execution, can reach outside the workspace. The package adds what os.Root does not
// give: a lexical path check with limits ([Root.Clean]), refusal to modify regular files with more than one hard
// link (a hard link inside the workspace may share its inode with a file outside it), atomic replace-by-rename
// writes, optimistic concurrency against the SHA-256 the planner saw, and an all-or-nothing multi-file
// [Root.Commit]. It also holds the pure text helpers the planner uses to describe a change: [Replace],
// [UnifiedDiff], [ParsePatch] and [FilePatch.Apply].
//
// The package must never: follow a path outside the workspace, write through a symbolic link, write into an inode
// it did not create (writes always go to a fresh temporary file that is renamed into place), include the host's
// absolute workspace path in an error message, or panic on hostile input. It knows nothing of gRPC or policy; the
// server maps [Code] to status codes and reasons.
//
// Decisions worth knowing:
//   - Backslashes are refused in paths: on Linux they are legal file name bytes, but an agent that sends one
//     almost always means a Windows separator, and accepting it would let "a\..\x" mean different things to the
//     policy and to the file system.
//   - A symbolic link loop (ELOOP) is reported as [InvalidPath], not [Escape]: it never reaches outside the
//     workspace, and policies that treat Escape as an attack signal should not fire on a broken link.
//   - Paths are cleaned lexically before use, so "link/../x" means "x" even if link is a symbolic link to a
//     directory; this is what the policy saw and judged.
package files
