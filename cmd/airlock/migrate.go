package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/server"
)

func init() { register(newMigrate) }

func newMigrate() *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the store's schema migrations and exit",
		Long: `Apply the store's schema migrations (SQLite file or PostgreSQL) and exit.

Serving applies them too; run this first when rolling out a new version to
many replicas, so that none of them starts on an old schema. Migrations are
guarded by an advisory lock, so concurrent runs are safe.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return err
			}
			st, err := server.OpenStore(cmd.Context(), cfg.Store)
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Fprintln(cmd.OutOrStdout(), "store schema is up to date")
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}
