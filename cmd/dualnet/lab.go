package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newLabCmd is a placeholder until the lab lands.
func newLabCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lab",
		Short: "A whole dual-stack kubenet cluster on this machine (not yet available)",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("the lab is not built yet: use `dualnet plan`")
		},
	}
}
