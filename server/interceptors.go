package server

import (
	"context"
	"errors"
	"runtime/debug"
	"strings"

	"buf.build/go/protovalidate"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/airlock-dev/airlock/auth"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

type principalKey struct{}

// principalFrom returns the authenticated caller; handlers only run after
// the auth interceptor, so it is always set for them.
func principalFrom(ctx context.Context) *auth.Principal {
	p, _ := ctx.Value(principalKey{}).(*auth.Principal)
	return p
}

// access says which principal kinds may call a service's methods. Methods
// of services not listed (health, reflection) need no token.
var access = map[string][]string{
	airlockv1.AgentService_ServiceDesc.ServiceName:    {auth.KindAgent, auth.KindHuman},
	airlockv1.ApprovalService_ServiceDesc.ServiceName: {auth.KindHuman},
	airlockv1.AuditService_ServiceDesc.ServiceName:    {auth.KindHuman},
	airlockv1.PolicyService_ServiceDesc.ServiceName:   {auth.KindHuman},
}

func serviceOf(fullMethod string) string {
	s := strings.TrimPrefix(fullMethod, "/")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}

// authenticate resolves the bearer token for services that need one.
func (s *Server) authenticate(ctx context.Context, fullMethod string) (context.Context, error) {
	kinds, guarded := access[serviceOf(fullMethod)]
	if !guarded {
		return ctx, nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	var token string
	if v := md.Get("authorization"); len(v) == 1 {
		if t, ok := strings.CutPrefix(v[0], "Bearer "); ok {
			token = strings.TrimSpace(t)
		}
	}
	p, err := s.tokens.Authenticate(token)
	if err != nil {
		return nil, reasonStatus(codes.Unauthenticated, airlockv1.ErrorReason_ERROR_REASON_UNAUTHENTICATED,
			"missing or unknown bearer token (metadata \"authorization: Bearer <token>\")", nil).Err()
	}
	allowed := false
	for _, k := range kinds {
		allowed = allowed || p.Kind == k
	}
	if !allowed {
		return nil, reasonStatus(codes.PermissionDenied, airlockv1.ErrorReason_ERROR_REASON_PERMISSION_DENIED,
			"this principal may not call "+serviceOf(fullMethod), nil).Err()
	}
	return context.WithValue(ctx, principalKey{}, p), nil
}

// validate applies the proto's protovalidate rules.
func (s *Server) validate(req any) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	err := s.validator.Validate(m)
	if err == nil {
		return nil
	}
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) {
		s.log.Error("request validation failed to run", zap.Error(err))
		return reasonStatus(codes.Internal, airlockv1.ErrorReason_ERROR_REASON_INTERNAL, "internal error", nil).Err()
	}
	br := &errdetails.BadRequest{}
	msgs := make([]string, 0, len(verr.Violations))
	for _, v := range verr.Violations {
		field := protovalidate.FieldPathString(v.Proto.GetField())
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: field, Description: v.Proto.GetMessage()})
		msgs = append(msgs, field+": "+v.Proto.GetMessage())
	}
	return reasonStatus(codes.InvalidArgument, airlockv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
		"invalid request: "+strings.Join(msgs, "; "), nil, br).Err()
}

func (s *Server) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer s.recover(info.FullMethod, &err)
	ctx, err = s.authenticate(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	if err := s.validate(req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (s *Server) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer s.recover(info.FullMethod, &err)
	ctx, err := s.authenticate(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	return handler(srv, &validatingStream{ServerStream: ss, ctx: ctx, s: s})
}

// recover turns a handler panic into INTERNAL; the stack goes to the log.
func (s *Server) recover(method string, err *error) {
	if r := recover(); r != nil {
		s.log.Error("handler panic", zap.String("method", method), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
		*err = status.Error(codes.Internal, "internal error")
	}
}

type validatingStream struct {
	grpc.ServerStream
	ctx context.Context
	s   *Server
}

func (v *validatingStream) Context() context.Context { return v.ctx }

func (v *validatingStream) RecvMsg(m any) error {
	if err := v.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return v.s.validate(m)
}
