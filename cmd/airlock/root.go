package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/airlock-dev/airlock/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "airlock",
		Short: "Airlock: the policy gate between AI coding agents and your systems",
		Long: `Airlock sits between AI coding agents and your environments. Agents call it over
gRPC instead of touching files or running commands directly; every action is
planned, judged by your OPA rego policies, and then executed in a sandbox,
denied with reasons, or escalated to human approvers. Everything is audited.

Start here:
  airlock demo     run a scripted agent against the example policies
  airlock serve    serve the API (no flags: the embedded example config)`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(), newDemo(), newVersion())
	for _, c := range registered {
		root.AddCommand(c())
	}
	return root
}

// registered holds the commands that files of this package add with
// register, so that each command lives in its own file.
var registered []func() *cobra.Command

func register(c func() *cobra.Command) { registered = append(registered, c) }

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "airlock", version)
		},
	}
}

// newLogger builds the JSON logger the config asks for.
func newLogger(c config.Log) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(c.Level)
	if err != nil {
		return nil, err
	}
	zc := zap.NewProductionConfig()
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.Sampling = nil
	zc.EncoderConfig.TimeKey = "ts"
	zc.EncoderConfig.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	zc.OutputPaths = []string{"stderr"}
	if c.File != "" {
		zc.OutputPaths = []string{c.File}
	}
	return zc.Build()
}

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
