package pipeline

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/airlock-dev/airlock/plan"
	"github.com/airlock-dev/airlock/sandbox/files"
	"github.com/airlock-dev/airlock/store"
)

// Reason classifies an error; the names are the API's ErrorReason values
// without the ERROR_REASON_ prefix.
type Reason string

// Reasons.
const (
	ReasonInvalidRequest      Reason = "INVALID_REQUEST"
	ReasonPermissionDenied    Reason = "PERMISSION_DENIED"
	ReasonWorkspaceNotFound   Reason = "WORKSPACE_NOT_FOUND"
	ReasonWorkspaceEscape     Reason = "WORKSPACE_ESCAPE"
	ReasonInvalidPath         Reason = "INVALID_PATH"
	ReasonFileNotFound        Reason = "FILE_NOT_FOUND"
	ReasonFileExists          Reason = "FILE_EXISTS"
	ReasonWrongFileType       Reason = "WRONG_FILE_TYPE"
	ReasonFileChanged         Reason = "FILE_CHANGED"
	ReasonEditMismatch        Reason = "EDIT_MISMATCH"
	ReasonPatchInvalid        Reason = "PATCH_INVALID"
	ReasonPatchConflict       Reason = "PATCH_CONFLICT"
	ReasonHardLink            Reason = "HARD_LINK"
	ReasonTooLarge            Reason = "TOO_LARGE"
	ReasonIdempotencyMismatch Reason = "IDEMPOTENCY_MISMATCH"
	ReasonActionNotFound      Reason = "ACTION_NOT_FOUND"
	ReasonStoreUnavailable    Reason = "STORE_UNAVAILABLE"
	ReasonInternal            Reason = "INTERNAL"
	ReasonBinaryFile          Reason = "BINARY_FILE"
	ReasonDirectoryNotEmpty   Reason = "DIRECTORY_NOT_EMPTY"
	ReasonCommandInvalid      Reason = "COMMAND_INVALID"
	ReasonSandboxUnavailable  Reason = "SANDBOX_UNAVAILABLE"
	ReasonNotPending          Reason = "NOT_PENDING"
	ReasonNotEligible         Reason = "NOT_ELIGIBLE"
	ReasonAlreadyVoted        Reason = "ALREADY_VOTED"
	ReasonDigestMismatch      Reason = "DIGEST_MISMATCH"
	ReasonCommentRequired     Reason = "COMMENT_REQUIRED"
)

// Error is a request the pipeline refused or could not complete. Msg is
// safe to show the caller; Err (logged, never returned) may hold details.
type Error struct {
	Reason   Reason
	Msg      string
	ActionID string
	// Meta is attached to the API error's details (e.g. "matches").
	Meta map[string]string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Reason, e.Msg, e.Err)
	}
	return string(e.Reason) + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

var fileReasons = map[files.Code]Reason{
	files.InvalidPath:     ReasonInvalidPath,
	files.InvalidArgument: ReasonInvalidRequest,
	files.Escape:          ReasonWorkspaceEscape,
	files.NotFound:        ReasonFileNotFound,
	files.Exists:          ReasonFileExists,
	files.WrongType:       ReasonWrongFileType,
	files.Changed:         ReasonFileChanged,
	files.EditMismatch:    ReasonEditMismatch,
	files.PatchInvalid:    ReasonPatchInvalid,
	files.PatchConflict:   ReasonPatchConflict,
	files.HardLink:        ReasonHardLink,
	files.TooLarge:        ReasonTooLarge,
	files.Binary:          ReasonBinaryFile,
	files.NotEmpty:        ReasonDirectoryNotEmpty,
}

// asError classifies any error from planning or execution.
func asError(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	var fe *files.Error
	if errors.As(err, &fe) {
		r, ok := fileReasons[fe.Code]
		if !ok {
			return &Error{Reason: ReasonInternal, Msg: "internal error", Err: err}
		}
		e := &Error{Reason: r, Msg: fe.Error(), Err: err}
		if fe.Code == files.EditMismatch {
			e.Meta = map[string]string{"matches": strconv.Itoa(fe.Matches)}
		}
		return e
	}
	var ce *plan.CommandError
	if errors.As(err, &ce) {
		return &Error{Reason: ReasonCommandInvalid, Msg: ce.Error(), Err: err}
	}
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Reason: ReasonActionNotFound, Msg: "no such action", Err: err}
	}
	return &Error{Reason: ReasonInternal, Msg: "internal error", Err: err}
}

// failure is the stored form of an execution error.
func failure(err error) *Failure {
	e := asError(err)
	f := &Failure{Reason: e.Reason, Message: e.Msg}
	var fe *files.Error
	if errors.As(err, &fe) && fe.Code == files.EditMismatch {
		f.Matches = fe.Matches
	}
	return f
}

// errorOf turns a stored failure back into the error the caller sees.
func errorOf(id string, f *Failure) *Error {
	e := &Error{Reason: f.Reason, Msg: f.Message, ActionID: id}
	if f.Reason == ReasonEditMismatch {
		e.Meta = map[string]string{"matches": strconv.Itoa(f.Matches)}
	}
	return e
}
