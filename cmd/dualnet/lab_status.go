package main

import (
	"github.com/spf13/cobra"

	"github.com/dualnet/dualnet/internal/lab"
)

func newLabStatusCmd() *cobra.Command {
	var where labFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the lab's namespaces, processes and nodes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return lab.Status(cmd.Context(), where.dir(), cmd.OutOrStdout())
		},
	}
	where.addTo(cmd)
	return cmd
}
