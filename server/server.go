package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"

	"buf.build/go/protovalidate"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/airlock-dev/airlock/approval"
	"github.com/airlock-dev/airlock/auth"
	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
	"github.com/airlock-dev/airlock/pipeline"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/store"
)

// Conf configures the gRPC server.
type Conf struct {
	// MaxMessageBytes caps one message in either direction.
	MaxMessageBytes int
	// TLSCertFile and TLSKeyFile enable TLS on TCP listeners.
	TLSCertFile, TLSKeyFile string
	// ShutdownGrace bounds graceful shutdown before in-flight calls are cut.
	ShutdownGrace time.Duration
}

// Server is the gRPC front of one pipeline.
type Server struct {
	conf      Conf
	log       *zap.Logger
	tokens    *auth.Tokens
	pipe      *pipeline.Pipeline
	approvals *approval.Service
	store     store.Store
	// engine and shadow are the live and candidate policies (PolicyService).
	engine, shadow *policy.Engine
	validator      protovalidate.Validator
	grpc           *grpc.Server
	health         *health.Server
}

// New builds the server; nothing listens until Serve.
func New(c Conf, log *zap.Logger, tokens *auth.Tokens, pipe *pipeline.Pipeline, approvals *approval.Service, st store.Store) (*Server, error) {
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = 32 << 20
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = 10 * time.Second
	}
	v, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("server: building validator: %w", err)
	}
	s := &Server{conf: c, log: log, tokens: tokens, pipe: pipe, approvals: approvals, store: st, validator: v, health: health.NewServer()}
	opts := []grpc.ServerOption{
		// Reusing handler goroutines keeps their grown stacks: policy
		// evaluation recurses deeply, and growing a fresh stack per call cost
		// about a sixth of an Evaluate.
		grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))),
		grpc.MaxRecvMsgSize(c.MaxMessageBytes),
		grpc.MaxSendMsgSize(c.MaxMessageBytes),
		grpc.ChainUnaryInterceptor(s.unary),
		grpc.ChainStreamInterceptor(s.stream),
	}
	if c.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("server: loading TLS key pair: %w", err)
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})))
	}
	s.grpc = grpc.NewServer(opts...)
	airlockv1.RegisterAgentServiceServer(s.grpc, &AgentService{s: s})
	airlockv1.RegisterApprovalServiceServer(s.grpc, &ApprovalService{s: s})
	airlockv1.RegisterAuditServiceServer(s.grpc, &AuditService{s: s})
	airlockv1.RegisterPolicyServiceServer(s.grpc, &PolicyService{s: s})
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	s.health.SetServingStatus(airlockv1.AgentService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(airlockv1.ApprovalService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(airlockv1.AuditService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(airlockv1.PolicyService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	return s, nil
}

// Serve accepts on l until Stop; it returns nil after a graceful stop.
func (s *Server) Serve(l net.Listener) error {
	err := s.grpc.Serve(l)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Stop drains in-flight calls for up to the grace period, then cuts them.
func (s *Server) Stop(ctx context.Context) {
	s.health.Shutdown()
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	t := time.NewTimer(s.conf.ShutdownGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("shutdown grace elapsed; cutting in-flight calls", zap.Duration("grace", s.conf.ShutdownGrace))
		s.grpc.Stop()
	case <-ctx.Done():
		s.grpc.Stop()
	}
}

// ListenUnix listens on a unix socket readable only by the owner.
func ListenUnix(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("server: removing stale socket: %w", err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}
