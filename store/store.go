// Package store persists actions, session totals and the audit trail behind
// small interfaces. The SQLite implementation (store/sqlite) is the embedded
// default; a PostgreSQL one satisfies the same interfaces for many replicas.
//
// The store knows nothing of gRPC, policy or sandboxes: records carry the
// request and its outcome as opaque bytes that the server encodes.
package store

import (
	"context"
	"errors"
	"time"
)

// Status is where an action stands. Values match the API's ActionStatus names
// without the prefix, lower case.
type Status string

// Statuses.
const (
	StatusRunning         Status = "running"
	StatusSucceeded       Status = "succeeded"
	StatusFailed          Status = "failed"
	StatusDenied          Status = "denied"
	StatusPendingApproval Status = "pending_approval"
	StatusRejected        Status = "rejected"
	StatusExpired         Status = "expired"
	StatusStale           Status = "stale"
	StatusInterrupted     Status = "interrupted"
)

// Valid reports whether s is one of the statuses above. Stores refuse any
// other value so that a typo cannot park an action in a state no code path
// ever moves it out of.
func (s Status) Valid() bool {
	switch s {
	case StatusRunning, StatusSucceeded, StatusFailed, StatusDenied,
		StatusPendingApproval, StatusRejected, StatusExpired, StatusStale,
		StatusInterrupted:
		return true
	}
	return false
}

// Final reports whether no further transition can happen.
func (s Status) Final() bool {
	switch s {
	case StatusRunning, StatusPendingApproval:
		return false
	}
	return true
}

// Errors returned by every implementation.
var (
	ErrNotFound = errors.New("store: not found")
	// ErrDuplicate means the (principal, idempotency key) pair already exists.
	ErrDuplicate = errors.New("store: duplicate idempotency key")
	// ErrConflict means an update's expected status no longer holds.
	ErrConflict = errors.New("store: status changed concurrently")
	// ErrAuditSeq means appended audit records do not continue the stored
	// sequence (a gap, a repeat, or another writer appended first). Writers
	// re-read the head and rebuild their records before retrying.
	ErrAuditSeq = errors.New("store: audit sequence does not continue the trail")
)

// Action is one stored action.
type Action struct {
	ID             string
	Principal      string
	Workspace      string
	SessionID      string
	Kind           string
	IdempotencyKey string // empty: none
	// RequestDigest identifies the request for idempotency checks.
	RequestDigest string
	Status        Status
	// Request is the encoded request (including content, needed to execute
	// an approved action later). Record is the encoded action record
	// (decision, plan, result, failure) as last written.
	Request   []byte
	Record    []byte
	CreatedAt time.Time
	UpdatedAt time.Time
	// ExpiresAt is set for pending actions.
	ExpiresAt time.Time
	// Owner is the replica that moved the action to running (CreateAction
	// and UpdateAction store it with that status); MarkInterrupted uses it.
	Owner string
}

// SessionDelta is added to a session's totals when an action completes.
type SessionDelta struct {
	Actions      int
	FilesChanged int
	LinesChanged int
}

// SessionTotals are a session's running totals.
type SessionTotals struct {
	Actions      int
	FilesChanged int
	LinesChanged int
}

// Actions stores actions and session totals.
type Actions interface {
	// CreateAction inserts a. When a.IdempotencyKey is set and the pair
	// (a.Principal, a.IdempotencyKey) exists, it returns the existing action
	// and ErrDuplicate, and inserts nothing.
	CreateAction(ctx context.Context, a *Action) (*Action, error)
	// UpdateAction moves action id from status from to a.Status, replacing
	// Record and UpdatedAt, and adds delta to the action's session totals in
	// the same transaction. ErrConflict if the current status is not from.
	UpdateAction(ctx context.Context, id string, from Status, a *Action, delta SessionDelta) error
	// GetAction returns one action, or ErrNotFound.
	GetAction(ctx context.Context, id string) (*Action, error)
	// SessionTotals returns the totals of (principal, session); zero if none.
	SessionTotals(ctx context.Context, principal, session string) (SessionTotals, error)
	// MarkInterrupted moves every running action owned by owner to
	// interrupted (at start-up, after a crash of that replica) and returns
	// their ids. Running actions of other owners (live replicas) are left
	// alone.
	MarkInterrupted(ctx context.Context, owner string, record func(*Action) []byte) ([]string, error)
}

// AuditRecord is one stored, chained audit event.
type AuditRecord struct {
	Seq      int64
	Time     time.Time
	ActionID string
	Type     string
	// Body is the event's canonical JSON.
	Body []byte
	// PrevHash and Hash chain the records: Hash = SHA-256(PrevHash || Body).
	PrevHash string
	Hash     string
}

// Audit appends and reads the audit trail.
type Audit interface {
	// AppendAudit durably appends records in order; their Seq must continue
	// the stored sequence. All or none are stored.
	AppendAudit(ctx context.Context, recs []AuditRecord) error
	// LastAudit returns the newest record, or ErrNotFound if there is none.
	LastAudit(ctx context.Context) (*AuditRecord, error)
	// ScanAudit calls fn for records with Seq >= from in order until fn
	// returns false or an error.
	ScanAudit(ctx context.Context, from int64, fn func(*AuditRecord) (bool, error)) error
}

// VoteKind is an approver's choice.
type VoteKind string

// Vote kinds.
const (
	VoteApprove VoteKind = "approve"
	VoteReject  VoteKind = "reject"
)

// Vote is one approver's vote on a pending action.
type Vote struct {
	ActionID  string
	Principal string
	Kind      VoteKind
	Comment   string
	CreatedAt time.Time
}

// ActionFilter selects actions for ListActions. Zero fields match all.
type ActionFilter struct {
	Statuses  []Status
	Workspace string
	Principal string
	// CreatedBefore keeps actions created strictly before it.
	CreatedBefore time.Time
	// ExpiresBefore keeps actions with a non-zero ExpiresAt strictly before it.
	ExpiresBefore time.Time
	// Limit caps the result (0: 100, max 1000).
	Limit int
}

// Approvals stores votes and lists actions for approvers.
type Approvals interface {
	// AddVote records v. ErrDuplicate if v.Principal already voted on
	// v.ActionID; ErrConflict if the action is not pending approval (the
	// check and the insert are one transaction).
	AddVote(ctx context.Context, v Vote) error
	// Votes returns an action's votes, oldest first.
	Votes(ctx context.Context, actionID string) ([]Vote, error)
	// ListActions returns matching actions, oldest first.
	ListActions(ctx context.Context, f ActionFilter) ([]*Action, error)
}

// Changes tells every replica which actions changed: CreateAction,
// UpdateAction and AddVote publish the action's id once their transaction
// commits. Delivery is prompt but best effort (a subscriber that falls
// behind loses ids), so waiters keep a slow safety poll.
type Changes interface {
	// Subscribe delivers changed action ids until ctx ends.
	Subscribe(ctx context.Context) (<-chan string, error)
}

// Store is everything a server needs.
type Store interface {
	Actions
	Approvals
	Changes
	Audit
	Ping(ctx context.Context) error
	Close() error
}
