package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/airlock-dev/airlock/sandbox"
)

func init() { register(newDoctor) }

func newDoctor() *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Print which sandbox layers this host supports",
		Long: `Print which command-sandbox layers this host can apply. List the ones you
depend on under sandbox.required in the config: the server then refuses to
start on a host that lacks any of them, instead of running commands with less
isolation than you expect.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := sandbox.Probe()
			w := cmd.OutOrStdout()
			yes := func(b bool) string {
				if b {
					return "yes"
				}
				return "NO"
			}
			fmt.Fprintf(w, "user namespace     %s\n", yes(s.UserNS))
			fmt.Fprintf(w, "mount namespace    %s\n", yes(s.MountNS))
			fmt.Fprintf(w, "pid namespace      %s\n", yes(s.PIDNS))
			fmt.Fprintf(w, "network namespace  %s\n", yes(s.NetNS))
			fmt.Fprintf(w, "ipc namespace      %s\n", yes(s.IPCNS))
			fmt.Fprintf(w, "uts namespace      %s\n", yes(s.UTSNS))
			if s.LandlockABI > 0 {
				fmt.Fprintf(w, "landlock           yes (ABI %d)\n", s.LandlockABI)
			} else {
				fmt.Fprintf(w, "landlock           NO\n")
			}
			fmt.Fprintf(w, "seccomp            %s\n", yes(s.Seccomp))
			fmt.Fprintf(w, "cgroup v2          %s %s\n", yes(s.Cgroup), s.CgroupParent)
			fmt.Fprintf(w, "running as root    %s\n", yes(s.Root))
			fmt.Fprintf(w, "\nlayers: %s\n", strings.Join(s.Layers(), " "))
			return nil
		},
	}
}
