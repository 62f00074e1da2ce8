package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/lab"
	"github.com/dualnet/dualnet/internal/lab/loadbalancer"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/netspec/specfile"
)

func newLabUpCmd() *cobra.Command {
	var (
		where      labFlags
		nodes      int
		binDir     string
		kubeBinDir string
		nodeBinDir string
		imageCache string
		routes     string
		lb         lab.LoadBalancerOptions
		ipv6Fix    bool
		spec       = specfile.NewFlags()
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Create the lab and wait until every node is Ready with its routes in place",
		Long: `Create the lab and wait until every node is Ready with its routes in place.

Nodes get addresses on the node subnets (--node-subnets, default ` + lab.DefaultNodeSubnetIPv4 + `,` + lab.DefaultNodeSubnetIPv6 + `),
the first node .4 / ::4 as in Azure. Every range is checked against the host's routes before
anything is created. The first run builds the Kubernetes binaries (about 10 minutes).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := spec.Spec()
			if err != nil {
				return err
			}
			if binDir == "" {
				self, err := os.Executable()
				if err != nil {
					return err
				}
				binDir = filepath.Dir(self)
			}
			mode, err := netspec.ParseRouteMode("--routes", routes, lab.RouteModes...)
			if err != nil {
				return err
			}
			if err := loadbalancer.ValidateProbes(lb.ProbeInterval, lb.ProbeThreshold); err != nil {
				return err
			}
			lb.NoIPv6ProbeFix = !ipv6Fix
			cfg := lab.Config{Name: where.name, StateRoot: where.stateRoot, Nodes: nodes, Spec: s,
				BinDir: binDir, KubeBinDir: kubeBinDir, NodeBinDir: nodeBinDir, ImageCacheDir: imageCache, Routes: mode, LoadBalancer: lb}
			start := time.Now()
			// Ctrl-C while it starts: Up removes what it made.
			ctx, stop := signalContext(cmd)
			defer stop()
			if err := lab.Up(ctx, cfg, cmd.OutOrStdout()); err != nil {
				return err
			}
			cmd.Printf("lab up took %.1fs\n", time.Since(start).Seconds())
			return nil
		},
	}
	where.addTo(cmd)
	cmd.Flags().IntVar(&nodes, "nodes", 3, "number of nodes")
	cmd.Flags().StringVar(&binDir, "bin-dir", "", "where dualnet-controller, dualnet-agent, dualnet-cni and dualnet-armemu are (default: beside this binary, as 'make build' puts them)")
	cmd.Flags().StringVar(&kubeBinDir, "kube-bin-dir", controlplane.BinDir(), "the Kubernetes binaries ('make kube-bins' builds them, on first use lab up does; $"+controlplane.BinDirEnv+")")
	cmd.Flags().StringVar(&nodeBinDir, "node-bin-dir", lab.NodeBinDir(), "containerd, runc, CoreDNS and crictl ('make node-bins' builds them, on first use lab up does; $"+lab.NodeBinDirEnv+")")
	cmd.Flags().StringVar(&imageCache, "image-cache-dir", lab.DefaultImageCacheDir, "where the lab's images and its registry's blobs are kept across labs")
	cmd.Flags().StringVar(&routes, "routes", string(lab.RoutesAzure), "how pod traffic between nodes is routed: azure (dualnet-controller -> local ARM endpoint -> vnet route table), host (each agent routes)")
	cmd.Flags().DurationVar(&lb.ProbeInterval, "lb-probe-interval", loadbalancer.DefaultProbeInterval, "how often the load balancer probes each backend (Azure's default; shorter for tests)")
	cmd.Flags().IntVar(&lb.ProbeThreshold, "lb-probe-threshold", loadbalancer.DefaultProbeThreshold, "consecutive probes with the same answer that change a backend's state (Azure's default)")
	cmd.Flags().BoolVar(&lb.FirstFamilyOnly, "lb-first-family-only", false, "give a dual-stack LoadBalancer Service a frontend of its first family only, as AKS's dual-stack preview does")
	cmd.Flags().BoolVar(&ipv6Fix, "fix-azure-lb-ipv6-probe", true, "the agents' flag of that name: false shows the article's limitation (IPv6 externalTrafficPolicy: Cluster Services get no healthy backend)")
	spec.AddTo(cmd.Flags())
	return cmd
}
