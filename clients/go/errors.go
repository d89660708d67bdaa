package client

import (
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// Reason returns the ErrorInfo reason the server attached to err, such as
// "ERROR_REASON_EDIT_MISMATCH" (the ErrorReason names in errors.proto), or ""
// when err carries none (nil, a local error, a transport failure).
func Reason(err error) string {
	if ei := errorInfo(err); ei != nil {
		return ei.GetReason()
	}
	return ""
}

// Metadata returns the ErrorInfo metadata of err (e.g. "matches" for an
// edit mismatch, "limit" for a size limit), or nil.
func Metadata(err error) map[string]string {
	if ei := errorInfo(err); ei != nil {
		return ei.GetMetadata()
	}
	return nil
}

// ActionID returns the id of the action an error is about: set when the
// action was decided and recorded, and then its execution failed.
func ActionID(err error) string { return Metadata(err)["action_id"] }

// IsTransport reports whether err is a failure to reach the server rather
// than an answer from it: nothing is known about whether the action ran
// (it did not, unless the request got through before the connection broke;
// a retry with the same idempotency key settles it).
func IsTransport(err error) bool {
	if err == nil || errorInfo(err) != nil {
		return false
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	return st.Code() == codes.Unavailable || st.Code() == codes.DeadlineExceeded
}

// IsDenied reports whether the policy denied the action (nothing was
// executed; the decision's reasons say why).
func IsDenied(rec *airlockv1.ActionRecord) bool {
	return rec.GetStatus() == airlockv1.ActionStatus_ACTION_STATUS_DENIED ||
		rec.GetDecision().GetEffect() == airlockv1.Effect_EFFECT_DENY
}

// IsPending reports whether the action waits for human approval.
func IsPending(rec *airlockv1.ActionRecord) bool {
	return rec.GetStatus() == airlockv1.ActionStatus_ACTION_STATUS_PENDING_APPROVAL
}

// IsFinal reports whether s can no longer change.
func IsFinal(s airlockv1.ActionStatus) bool {
	switch s {
	case airlockv1.ActionStatus_ACTION_STATUS_SUCCEEDED,
		airlockv1.ActionStatus_ACTION_STATUS_FAILED,
		airlockv1.ActionStatus_ACTION_STATUS_DENIED,
		airlockv1.ActionStatus_ACTION_STATUS_REJECTED,
		airlockv1.ActionStatus_ACTION_STATUS_EXPIRED,
		airlockv1.ActionStatus_ACTION_STATUS_STALE,
		airlockv1.ActionStatus_ACTION_STATUS_INTERRUPTED:
		return true
	}
	return false
}

func errorInfo(err error) *errdetails.ErrorInfo {
	if err == nil {
		return nil
	}
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return nil
	}
	for _, d := range se.GRPCStatus().Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok {
			return ei
		}
	}
	return nil
}
