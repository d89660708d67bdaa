// Package audit owns the audit trail: the event model, the recorder that
// writes each event as one zap JSON log line and durably appends it to the
// store, and the hash chain that lets Verify detect an edited, removed,
// inserted or reordered record.
//
// Events describe actions (who, what, which policy revision, effect,
// reasons, result summary, timings); they must never carry file contents,
// command output or secrets, only paths, digests and sizes. The package
// must never decide policy or execute anything, and must never report an
// event as recorded before the store has committed it: callers execute an
// action only after its event is recorded, and fail closed when Record
// returns an error.
//
// The chain is tamper-evident, not tamper-proof: someone who can write the
// database and recompute hashes from the altered record onwards, or who
// truncates the newest records, is not detected by Verify alone. Each log
// line carries the record's hash, so comparing the store's head with the
// shipped logs (or a head noted elsewhere) closes that gap.
package audit
