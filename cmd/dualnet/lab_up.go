package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/lab"
	"github.com/dualnet/dualnet/internal/netspec"
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
		spec       = netspec.NewFlags()
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
			mode := lab.RouteMode(routes)
			if !slices.Contains(lab.RouteModes, mode) {
				return fmt.Errorf("--routes: %q is not a route mode: use %v", routes, lab.RouteModes)
			}
			cfg := lab.Config{Name: where.name, StateRoot: where.stateRoot, Nodes: nodes, Spec: s,
				BinDir: binDir, KubeBinDir: kubeBinDir, NodeBinDir: nodeBinDir, ImageCacheDir: imageCache, Routes: mode}
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
	spec.AddTo(cmd.Flags())
	return cmd
}
