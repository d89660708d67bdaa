package files

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// Code classifies an Error so the server can map it to a gRPC status and reason without parsing messages.
type Code int

// Codes. OK is the zero value so that CodeOf(nil) reads naturally.
const (
	OK              Code = iota
	InvalidPath          // the path is malformed (NUL, control character, too long, empty, backslash, loop)
	Escape               // the path, or a symbolic link on it, leads outside the workspace
	NotFound             // the target does not exist
	Exists               // the target exists and the operation must not replace it
	WrongType            // a directory where a file is needed, a symbolic link that must not be written through, ...
	Changed              // the target is not in the state the plan saw (hash differs, appeared, disappeared)
	EditMismatch         // an edit's old text matched zero times, or more than once without "all"
	PatchInvalid         // a patch could not be parsed
	PatchConflict        // a patch does not apply to the current content
	HardLink             // refusing to modify a regular file with more than one hard link
	TooLarge             // content or file above a configured limit
	Binary               // content is binary where text is required
	NotEmpty             // refusing to delete a non-empty directory
	InvalidArgument      // a non-path argument is out of range (negative offset, empty search text, ...)
	Internal             // anything else; the message is generic and the cause is only in Err
)

var codeNames = [...]string{
	OK:              "OK",
	InvalidPath:     "InvalidPath",
	Escape:          "Escape",
	NotFound:        "NotFound",
	Exists:          "Exists",
	WrongType:       "WrongType",
	Changed:         "Changed",
	EditMismatch:    "EditMismatch",
	PatchInvalid:    "PatchInvalid",
	PatchConflict:   "PatchConflict",
	HardLink:        "HardLink",
	TooLarge:        "TooLarge",
	Binary:          "Binary",
	NotEmpty:        "NotEmpty",
	InvalidArgument: "InvalidArgument",
	Internal:        "Internal",
}

func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// Error is the only error type the package returns. Op, Path and Msg are safe to show an agent: Path is the
// workspace-relative path it asked for and Msg never contains a host path. Err holds the underlying cause for
// server-side logs only; Error() deliberately does not print it, because os errors carry absolute host paths.
type Error struct {
	Code    Code
	Op      string
	Path    string
	Msg     string
	Matches int // for EditMismatch: how many times the old text was found
	Err     error
}

func (e *Error) Error() string {
	s := e.Op
	if e.Path != "" {
		s += " " + e.Path
	}
	return s + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the Code of err: OK for nil, Internal for an error this package did not make.
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

func newErr(code Code, op, path, msg string) *Error {
	return &Error{Code: code, Op: op, Path: path, Msg: msg}
}

// osErr maps an error from os.Root or an *os.File to an Error. The message is built from the errno name only,
// never from the os error text, which may contain the host's workspace path.
func osErr(op, path string, err error) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return err
	}
	e := &Error{Op: op, Path: path, Err: err}
	var errno syscall.Errno
	switch {
	case isEscape(err):
		e.Code, e.Msg = Escape, "path escapes from the workspace"
	case errors.As(err, &errno):
		e.Code, e.Msg = errnoCode(errno), errno.Error()
	case errors.Is(err, fs.ErrNotExist):
		e.Code, e.Msg = NotFound, "no such file or directory"
	case errors.Is(err, fs.ErrExist):
		e.Code, e.Msg = Exists, "file exists"
	default:
		e.Code, e.Msg = Internal, "internal error"
	}
	return e
}

func errnoCode(errno syscall.Errno) Code {
	switch errno {
	case syscall.ENOENT:
		return NotFound
	case syscall.EEXIST:
		return Exists
	case syscall.ENOTDIR, syscall.EISDIR:
		return WrongType
	case syscall.ENOTEMPTY:
		return NotEmpty
	case syscall.ELOOP:
		return InvalidPath
	case syscall.ENAMETOOLONG:
		return InvalidPath
	case syscall.EFBIG:
		return TooLarge
	default:
		return Internal
	}
}

// isEscape recognises os.Root's escape error. It is an unexported sentinel in package os, so the only stable
// handle on it is its text; the test suite pins that this still works.
func isEscape(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "path escapes from parent" {
			return true
		}
	}
	return false
}
