package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dualnet/dualnet/internal/lab"
)

// The lab's own process: started by `lab up`, not by users.

func signalContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
}

func newLabSuperviseCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "supervise",
		Short:  "Run a lab (started by `lab up`; ends on SIGTERM from `lab down`)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext(cmd)
			defer stop()
			return lab.Supervise(ctx, dir)
		},
	}
	cmd.Flags().StringVar(&dir, "state-dir", "", "the lab's state directory")
	return cmd
}
