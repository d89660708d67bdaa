package server

import (
	"errors"

	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/pipeline"
)

// ErrorDomain is ErrorInfo.domain for every Airlock error.
const ErrorDomain = "airlock.dev"

// codeOf maps each reason to its gRPC code (documented in errors.proto).
var codeOf = map[pipeline.Reason]codes.Code{
	pipeline.ReasonInvalidRequest:      codes.InvalidArgument,
	pipeline.ReasonPermissionDenied:    codes.PermissionDenied,
	pipeline.ReasonWorkspaceNotFound:   codes.NotFound,
	pipeline.ReasonWorkspaceEscape:     codes.InvalidArgument,
	pipeline.ReasonInvalidPath:         codes.InvalidArgument,
	pipeline.ReasonFileNotFound:        codes.NotFound,
	pipeline.ReasonFileExists:          codes.AlreadyExists,
	pipeline.ReasonWrongFileType:       codes.FailedPrecondition,
	pipeline.ReasonFileChanged:         codes.FailedPrecondition,
	pipeline.ReasonEditMismatch:        codes.FailedPrecondition,
	pipeline.ReasonPatchInvalid:        codes.InvalidArgument,
	pipeline.ReasonPatchConflict:       codes.FailedPrecondition,
	pipeline.ReasonHardLink:            codes.FailedPrecondition,
	pipeline.ReasonTooLarge:            codes.ResourceExhausted,
	pipeline.ReasonIdempotencyMismatch: codes.FailedPrecondition,
	pipeline.ReasonActionNotFound:      codes.NotFound,
	pipeline.ReasonStoreUnavailable:    codes.Unavailable,
	pipeline.ReasonInternal:            codes.Internal,
	pipeline.ReasonBinaryFile:          codes.FailedPrecondition,
	pipeline.ReasonDirectoryNotEmpty:   codes.FailedPrecondition,
	pipeline.ReasonCommandInvalid:      codes.InvalidArgument,
	pipeline.ReasonSandboxUnavailable:  codes.Unavailable,
	pipeline.ReasonNotPending:          codes.FailedPrecondition,
	pipeline.ReasonNotEligible:         codes.PermissionDenied,
	pipeline.ReasonAlreadyVoted:        codes.AlreadyExists,
	pipeline.ReasonDigestMismatch:      codes.FailedPrecondition,
	pipeline.ReasonCommentRequired:     codes.InvalidArgument,
}

// reasonStatus builds a status carrying ErrorInfo with the proto reason
// name, plus any extra details (e.g. BadRequest field violations).
func reasonStatus(c codes.Code, reason airlockv1.ErrorReason, msg string, meta map[string]string, extra ...protoadapt.MessageV1) *status.Status {
	st := status.New(c, msg)
	details := append([]protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: reason.String(), Domain: ErrorDomain, Metadata: meta}}, extra...)
	if withDetails, err := st.WithDetails(details...); err == nil {
		return withDetails
	}
	return st
}

// toStatus maps any error from the pipeline to a gRPC status. Internal
// details are logged, never returned.
func toStatus(log *zap.Logger, err error) error {
	var pe *pipeline.Error
	if !errors.As(err, &pe) {
		log.Error("unclassified error", zap.Error(err))
		return reasonStatus(codes.Internal, airlockv1.ErrorReason_ERROR_REASON_INTERNAL, "internal error", nil).Err()
	}
	c, ok := codeOf[pe.Reason]
	if !ok {
		c = codes.Internal
	}
	reason := airlockv1.ErrorReason(airlockv1.ErrorReason_value["ERROR_REASON_"+string(pe.Reason)])
	msg := pe.Msg
	if c == codes.Internal || c == codes.Unavailable {
		log.Error("request failed", zap.String("reason", string(pe.Reason)), zap.String("action_id", pe.ActionID), zap.Error(pe))
	}
	meta := map[string]string{}
	for k, v := range pe.Meta {
		meta[k] = v
	}
	if pe.ActionID != "" {
		meta["action_id"] = pe.ActionID
	}
	return reasonStatus(c, reason, msg, meta).Err()
}
