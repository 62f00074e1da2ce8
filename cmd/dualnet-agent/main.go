// Command dualnet-agent is the per-node dualnet agent (a hostNetwork DaemonSet): it turns the
// node's spec.podCIDRs into a working pod network (bridge, sysctls, NAT to the node's
// InternalIP per family, CNI config, host routes) and keeps it so. --health-addr serves
// /healthz, /readyz and Prometheus /metrics (internal/agent/metrics.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/agent"
	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/health"
	"github.com/dualnet/dualnet/internal/netspec/specfile"
)

func main() {
	if err := newCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func newCommand() *cobra.Command {
	spec := specfile.NewFlags()
	var (
		cfg        = agent.Config{Bridge: cnicontract.DefaultBridge}
		kubeconfig string
		routes     string
		noMasq     []string
		netnsPath  string
		healthAddr string
		cleanup    bool
	)
	cmd := &cobra.Command{
		Use:           "dualnet-agent",
		Short:         "Set up and keep the node's dual-stack pod network",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Every flag is checked before anything is contacted (the API server, the
			// node's namespace): a bad flag is named, not hidden behind a missing kubeconfig.
			s, err := spec.Spec()
			if err != nil {
				return err
			}
			cfg.Spec = s
			cfg.Routes = agent.RouteMode(routes)
			cfg.Namespace = nodens.At(netnsPath)
			for _, c := range noMasq {
				p, err := netip.ParsePrefix(strings.TrimSpace(c))
				if err != nil {
					return fmt.Errorf("--non-masquerade-cidrs: %q is not a CIDR: %w", c, err)
				}
				cfg.NonMasqueradeCIDRs = append(cfg.NonMasqueradeCIDRs, p)
			}
			if err := checkConfig(cfg, cleanup); err != nil {
				return err
			}
			if healthAddr != "" && !cleanup {
				if err := health.CheckAddr("--health-addr", healthAddr); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if cleanup {
				return agent.Cleanup(ctx, cfg)
			}
			return run(ctx, cfg, kubeconfig, healthAddr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.NodeName, "node-name", os.Getenv("NODE_NAME"), "this node's name (default $NODE_NAME)")
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file; empty: in-cluster config")
	spec.AddTo(f)
	f.StringVar(&routes, "routes", string(agent.HostRoutes), "what carries pod traffic between nodes, the cluster's value (docs/routes.md): host (nodes share a link; this agent routes), azure or kernel (dualnet-controller's route table does), none (something else does)")
	f.StringSliceVar(&noMasq, "non-masquerade-cidrs", nil, "destinations besides the pod CIDRs that see pods' own addresses")
	f.StringVar(&cfg.CNIConfDir, "cni-conf-dir", "/etc/cni/net.d", "where the CNI conflist goes")
	f.StringVar(&cfg.CNIBinDir, "cni-bin-dir", "/opt/cni/bin", "where the dualnet CNI plugin goes")
	f.StringVar(&cfg.CNIPlugin, "cni-plugin", "", "path of the dualnet-cni binary to install into --cni-bin-dir; empty: install nothing")
	f.StringVar(&cfg.CNIPortmapPlugin, "cni-portmap-plugin", "", "path of upstream's portmap CNI plugin to install into --cni-bin-dir and chain after dualnet, for pods' hostPort; empty: portmap beside --cni-plugin")
	f.StringVar(&cfg.CNIBandwidthPlugin, "cni-bandwidth-plugin", "", "path of upstream's bandwidth CNI plugin to install into --cni-bin-dir and chain after dualnet, for pods' kubernetes.io/ingress-bandwidth and egress-bandwidth annotations; empty: bandwidth beside --cni-plugin")
	f.StringVar(&cfg.CNIDataDir, "cni-data-dir", cnicontract.DefaultDataDir, "the plugin's address store (the conflist's dataDir)")
	f.StringVar(&cfg.Uplink, "uplink", "", "the node's interface toward the other nodes (default: the one holding the node's InternalIP)")
	f.StringVar(&netnsPath, "netns", "", "network namespace path of the node (tests and the lab); default: the agent's own")
	f.StringVar(&healthAddr, "health-addr", ":10267", "address of /healthz, /readyz and Prometheus /metrics; empty: none")
	f.DurationVar(&cfg.Resync, "resync", time.Minute, "how often to resync the whole dataplane, repairing drift")
	f.DurationVar(&cfg.AntispoofSweep, "antispoof-sweep", agent.DefaultAntispoofSweep, "how often to repair the CNI plugin's anti-spoofing table and remove deleted pods' entries from it")
	f.BoolVar(&cfg.FixAzureLBIPv6Probe, "fix-azure-lb-ipv6-probe", true, "rewrite the link-local source of Azure Load Balancer's IPv6 health probes (fe80::1234:5678:9abc) to a global address on the way in, and back on the way out, as AKS nodes do, so that the node may forward them to pods and IPv6 externalTrafficPolicy: Cluster Services work (nftables table ip6 dualnet-lb-probe)")
	f.BoolVar(&cleanup, "cleanup", false, "remove everything the agent created on the node and exit")
	klogFlags := flag.NewFlagSet("klog", flag.ExitOnError)
	klog.InitFlags(klogFlags)
	f.AddGoFlagSet(klogFlags)
	return cmd
}

// checkConfig applies the agent's rules (agent.Config.Validate), the flags a user typed
// before the node's name, which usually comes from $NODE_NAME; --cleanup needs no name: it
// removes what any agent made on the node.
func checkConfig(cfg agent.Config, cleanup bool) error {
	named := cfg
	if named.NodeName == "" {
		named.NodeName = "(unset)"
	}
	if err := named.Validate(); err != nil || cleanup {
		return err
	}
	return cfg.Validate() // only the node's name is left to break a rule
}

func run(ctx context.Context, cfg agent.Config, kubeconfig, healthAddr string) error {
	restCfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("--kubeconfig %q: %w", kubeconfig, err)
	}
	restCfg.UserAgent = "dualnet-agent/" + cfg.NodeName
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	a, err := agent.New(cfg, client)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.Run(ctx) })
	if healthAddr != "" {
		g.Go(func() error { return a.ServeHealth(ctx, healthAddr) })
	}
	return g.Wait()
}
