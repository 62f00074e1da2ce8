package main

import (
	"github.com/spf13/cobra"

	"github.com/dualnet/dualnet/internal/lab"
)

func newLabDownCmd() *cobra.Command {
	var where labFlags
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Remove every namespace, link, process and file the lab made, and say what",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return lab.Down(where.stateRoot, where.name, cmd.OutOrStdout())
		},
	}
	where.addTo(cmd)
	return cmd
}
