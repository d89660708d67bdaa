package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/examples"
	"github.com/airlock-dev/airlock/server"
)

func newServe() *cobra.Command {
	var cfgPath, stateDir string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the gRPC API",
		Long: `Serve the gRPC API until SIGINT or SIGTERM, then drain in-flight calls.

With no --config, the embedded example configuration is unpacked under
--state-dir (default .airlock) with the example policies and a demo workspace,
and served on 127.0.0.1:7443. The demo agent's token is "demo-agent-token".`,
		Example: `  airlock serve
  airlock serve --config /etc/airlock/airlock.yaml
  grpcurl -plaintext -H 'authorization: Bearer demo-agent-token' \
    -d '{"request":{"workspace":"demo","action":{"read_file":{"path":"src/cart.py"}}}}' \
    127.0.0.1:7443 airlock.v1.AgentService/Submit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgPath == "" {
				p, err := examples.Unpack(stateDir)
				if err != nil {
					return err
				}
				if err := giveWorkspaceAway(stateDir); err != nil {
					return err
				}
				cfgPath = p
				fmt.Fprintf(cmd.ErrOrStderr(), "airlock: no --config given; serving the example config %s\n", cfgPath)
			}
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return err
			}
			log, err := newLogger(cfg.Log)
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck // nothing to do about a failed flush at exit
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			app, err := server.Build(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer app.Close()
			ls, err := app.Listen()
			if err != nil {
				return err
			}
			for _, l := range ls {
				fmt.Fprintf(cmd.ErrOrStderr(), "airlock: serving on %s (%s)\n", l.Addr(), l.Addr().Network())
			}
			// SIGHUP reloads the policy; a broken revision is refused and the
			// live one keeps serving.
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			go func() {
				for range hup {
					if err := app.Reload(ctx); err != nil {
						log.Warn("SIGHUP reload refused", zap.Error(err))
					} else {
						log.Info("SIGHUP reload", zap.String("policy_revision", app.Engine.Revision()))
					}
				}
			}()
			err = app.Serve(ctx, ls)
			log.Info("stopped", zap.Error(err))
			return err
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (default: the embedded example)")
	cmd.Flags().StringVar(&stateDir, "state-dir", filepath.FromSlash(".airlock"), "where the embedded example is unpacked when --config is not given")
	return cmd
}
