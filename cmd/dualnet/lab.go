package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dualnet/dualnet/internal/lab"
)

// labFlags are the flags every lab command shares: which lab, and where its state is.
type labFlags struct {
	name      string
	stateRoot string
}

// addTo registers the flags on cmd and checks --name before cmd runs: the name is a path
// under --state-root and a prefix of namespace names, so no lab command may read, enter or
// contact anything by a name that lab up would refuse.
func (f *labFlags) addTo(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.name, "name", "dualnet", "the lab's name: prefix of its namespaces and nodes, and its state directory")
	cmd.Flags().StringVar(&f.stateRoot, "state-root", lab.DefaultStateRoot, "where labs keep their state")
	cmd.PreRunE = func(*cobra.Command, []string) error { return lab.CheckName(f.name) }
}

func (f *labFlags) dir() string { return f.stateRoot + "/" + f.name }

// newLabCmd is `dualnet lab`: a whole dual-stack kubenet cluster on this machine.
func newLabCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "A whole dual-stack kubenet cluster on this machine, out of network namespaces",
		Long: `dualnet lab builds a dual-stack kubenet cluster on this machine: a virtual network
(namespace <name>-vnet, which routes by the route table dualnet-controller programs), one
namespace per node, a VM on the network (<name>-vnet-host), a client outside
(<name>-internet, for LoadBalancer services), and a real control plane
(etcd, kube-apiserver, kube-controller-manager, kube-scheduler) on the host's loopback.
Nodes run dualnet-agent and a lab node process that plays kubelet, with pods set up by
dualnet-cni. kubectl works against it: see 'dualnet lab kubeconfig'.

The lab changes nothing on the host outside its own namespaces: no link, route, sysctl or
nftables rule of the host's is touched.`,
		// Without a RunE, cobra answers a mistyped subcommand with the help text and exit
		// status 0, which a script would take for success.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unknown command %q for %q; see %q", args[0], cmd.CommandPath(), cmd.CommandPath()+" --help")
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newLabUpCmd(), newLabDownCmd(), newLabStatusCmd(), newLabKubeconfigCmd(), newLabExecCmd(),
		newLabSuperviseCmd())
	return cmd
}
