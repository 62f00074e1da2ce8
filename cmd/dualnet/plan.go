package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/dualnet/dualnet/internal/netspec/specfile"
	"github.com/dualnet/dualnet/internal/plan"
)

func newPlanCmd() *cobra.Command {
	specFlags := specfile.NewFlags()
	var (
		nodes      uint64
		output     string
		namePrefix string
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Check a cluster network spec and show the pod CIDRs of N nodes, the service ranges and the capacity",
		Example: `  dualnet plan --ip-families ipv4,ipv6 --nodes 3
  dualnet plan --ip-families ipv4,ipv6 --node-subnets 10.240.0.0/16,2001:db8::/64 -o yaml
  dualnet plan --config network.yaml --nodes 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, err := specFlags.Spec()
			if err != nil {
				return err
			}
			p, err := plan.Build(spec, nodes, namePrefix)
			if err != nil {
				return fmt.Errorf("--nodes: %w", err)
			}
			out := cmd.OutOrStdout()
			switch output {
			case "", "table":
				return plan.WriteTable(out, p)
			case "json":
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(p)
			case "yaml":
				b, err := yaml.Marshal(p)
				if err != nil {
					return err
				}
				_, err = out.Write(b)
				return err
			}
			return fmt.Errorf("-o/--output: %q is not an output format: use table, json or yaml", output)
		},
	}
	specFlags.AddTo(cmd.Flags())
	cmd.Flags().Uint64Var(&nodes, "nodes", 3, "number of nodes to plan")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json or yaml")
	cmd.Flags().StringVar(&namePrefix, "node-name-prefix", "node-", "node names are this prefix and the node's number")
	return cmd
}
