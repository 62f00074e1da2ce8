package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dualnet/dualnet/internal/lab"
)

func newLabKubeconfigCmd() *cobra.Command {
	var where labFlags
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print the lab's admin kubeconfig (YAML)",
		Long:  "Print the lab's admin kubeconfig (YAML), e.g. dualnet lab kubeconfig > lab.kubeconfig && export KUBECONFIG=$PWD/lab.kubeconfig",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := kubeconfigOf(where)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
	where.addTo(cmd)
	return cmd
}

// kubeconfigOf is the path of a running lab's admin kubeconfig.
func kubeconfigOf(where labFlags) (string, error) {
	st, err := lab.LoadState(where.dir())
	if err != nil {
		return "", fmt.Errorf("no lab %q is up (%v): run `dualnet lab up`", where.name, err)
	}
	path := st.Endpoints["kubeconfig"]
	if path == "" {
		return "", fmt.Errorf("lab %q has no control plane yet: see `dualnet lab status`", where.name)
	}
	return path, nil
}
