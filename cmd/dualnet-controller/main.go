// Command dualnet-controller runs dualnet's cluster controllers in one leader-elected
// process, with /healthz, /readyz and Prometheus /metrics: the route controller (routes to
// every node's pod CIDRs in the --routes backend, NetworkUnavailable) and node IPAM
// (spec.podCIDRs, unless --ipam=kubernetes leaves it to kube-controller-manager).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/controller/leader"
	"github.com/dualnet/dualnet/internal/health"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/netspec/specfile"
)

// options are the command line.
type options struct {
	spec       *specfile.Flags
	leader     leader.Config
	kubeconfig string
	apiQPS     float32
	apiBurst   int
	ipam       string
	holdDown   time.Duration
	healthAddr string
	routes     routeOptions
}

// IPAM modes: who writes spec.podCIDRs.
const (
	ipamDualnet    = "dualnet"
	ipamKubernetes = "kubernetes"
)

func main() {
	if err := newCommand().Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "dualnet-controller: %v\n", err)
		os.Exit(1)
	}
}

func newCommand() *cobra.Command {
	opts := &options{
		spec:       specfile.NewFlags(),
		leader:     leader.DefaultConfig("dualnet-controller"),
		apiQPS:     50,
		apiBurst:   100,
		ipam:       ipamDualnet,
		holdDown:   5 * time.Minute,
		healthAddr: ":10265",
	}
	cmd := &cobra.Command{
		Use:   "dualnet-controller",
		Short: "Assign dual-stack pod CIDRs to nodes (and keep their routes) for dualnet",
		Long: "dualnet-controller gives every node one pod CIDR per family (spec.podCIDRs, IPv4 first),\n" +
			"block i of each family for node i, within the capacity of the network spec.",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return run(ctx, opts)
		},
	}
	fs := cmd.Flags()
	opts.spec.AddTo(fs)
	opts.leader.AddFlags(fs)
	opts.routes.addFlags(fs)
	fs.StringVar(&opts.kubeconfig, "kubeconfig", "", "kubeconfig file; empty: the in-cluster service account")
	fs.Float32Var(&opts.apiQPS, "kube-api-qps", opts.apiQPS, "queries per second to kube-apiserver")
	fs.IntVar(&opts.apiBurst, "kube-api-burst", opts.apiBurst, "burst of queries to kube-apiserver")
	fs.StringVar(&opts.ipam, "ipam", opts.ipam, "who assigns node pod CIDRs: dualnet, or kubernetes (kube-controller-manager --allocate-node-cidrs)")
	fs.DurationVar(&opts.holdDown, "released-cidr-hold-down", opts.holdDown, "how long a deleted node's pod CIDRs wait for its routes to be removed before they are reused anyway")
	fs.StringVar(&opts.healthAddr, "health-addr", opts.healthAddr, "address serving /healthz, /readyz and /metrics")
	// Of klog's flags only the verbosity ones: logs go to stderr, as in every dualnet binary.
	logFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(logFlags)
	for _, name := range []string{"v", "vmodule"} {
		fs.AddGoFlag(logFlags.Lookup(name))
	}
	return cmd
}

// check reads the spec and names the flag of anything wrong, before anything connects.
func (o *options) check() (netspec.Spec, error) {
	spec, err := o.spec.Spec()
	if err != nil {
		return netspec.Spec{}, err
	}
	if o.ipam != ipamDualnet && o.ipam != ipamKubernetes {
		return netspec.Spec{}, fmt.Errorf("--ipam: %q is not an IPAM mode: use %s or %s", o.ipam, ipamDualnet, ipamKubernetes)
	}
	if o.holdDown < 0 {
		return netspec.Spec{}, fmt.Errorf("--released-cidr-hold-down: %v must not be negative", o.holdDown)
	}
	if o.apiQPS <= 0 {
		return netspec.Spec{}, fmt.Errorf("--kube-api-qps: %v must be positive", o.apiQPS)
	}
	if o.apiBurst < 1 {
		return netspec.Spec{}, fmt.Errorf("--kube-api-burst: %d must be at least 1", o.apiBurst)
	}
	if err := health.CheckAddr("--health-addr", o.healthAddr); err != nil {
		return netspec.Spec{}, err
	}
	if err := o.leader.Check(); err != nil {
		return netspec.Spec{}, err
	}
	if err := o.routes.check(); err != nil {
		return netspec.Spec{}, err
	}
	return spec, nil
}
