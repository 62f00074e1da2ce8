// Command dualnet is the dualnet CLI: plan a cluster's network, run the lab, print the version.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dualnet/dualnet/internal/version"
)

func main() {
	root := &cobra.Command{
		Use:           "dualnet",
		Short:         "Dual-stack (IPv4 + IPv6) kubenet networking for Kubernetes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newPlanCmd(), newLabCmd(), newVersionCmd())
	if err := root.Execute(); err != nil {
		printError(err)
		os.Exit(1)
	}
}

// printError prints every joined error on a line of its own, so that each broken rule of a
// spec reads as one line.
func printError(err error) {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			printError(e)
		}
		return
	}
	fmt.Fprintln(os.Stderr, "Error:", err)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the dualnet version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "dualnet", version.Version)
		},
	}
}
