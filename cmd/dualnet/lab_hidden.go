package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/dualnet/dualnet/internal/lab"
	"github.com/dualnet/dualnet/internal/labnode"
	"github.com/dualnet/dualnet/internal/labnode/workload"
)

// The lab's own processes: started by `lab up` and by lab nodes, not by users.

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

func newLabNodeCmd() *cobra.Command {
	var (
		cfg        labnode.Config
		kubeconfig string
		nodeIPs    []string
	)
	cmd := &cobra.Command{
		Use:    "node",
		Short:  "Play kubelet for one lab node (started by the lab's supervisor)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range nodeIPs {
				ip, err := netip.ParseAddr(s)
				if err != nil {
					return fmt.Errorf("--node-ips: %w", err)
				}
				cfg.NodeIPs = append(cfg.NodeIPs, ip)
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			cfg.Self = self
			rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
			if err != nil {
				return fmt.Errorf("--kubeconfig: %w", err)
			}
			client, err := kubernetes.NewForConfig(rc)
			if err != nil {
				return err
			}
			ctx, stop := signalContext(cmd)
			defer stop()
			return labnode.Run(ctx, cfg, client)
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the lab's API server")
	cmd.Flags().StringVar(&cfg.NodeName, "node-name", "", "the node's name")
	cmd.Flags().StringVar(&cfg.NodeNetns, "netns", "", "path of the node's network namespace, where CNI runs")
	cmd.Flags().StringSliceVar(&nodeIPs, "node-ips", nil, "the node's InternalIPs, IPv4 first")
	cmd.Flags().StringVar(&cfg.Dir, "node-dir", "", "the node's directory (CNI config, plugins, cache; pod logs)")
	cmd.Flags().StringVar(&cfg.PodNetnsPrefix, "pod-netns-prefix", "", "prefix of pod network namespace names")
	return cmd
}

func newLabWorkloadCmd() *cobra.Command {
	var image, hostname string
	cmd := &cobra.Command{
		Use:    "workload --image IMAGE [-- COMMAND ARGS...]",
		Short:  "Run a built-in workload (what a lab pod's container runs)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signalContext(cmd)
			defer stop()
			return workload.Run(ctx, image, args, hostname, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&image, "image", "", "the container's image")
	cmd.Flags().StringVar(&hostname, "hostname", "", "the pod's name")
	return cmd
}
