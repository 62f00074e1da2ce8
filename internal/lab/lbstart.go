package lab

import (
	"context"
	"path/filepath"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/dualnet/dualnet/internal/lab/loadbalancer"
	"github.com/dualnet/dualnet/internal/netns"
)

// LoadBalancerOptions are `lab up`'s load balancer flags. The zero value is Azure's defaults
// and the agents' fix of the IPv6 probe on.
type LoadBalancerOptions struct {
	// ProbeInterval and ProbeThreshold shorten Azure's probes (5 s, 2 in a row) for tests.
	ProbeInterval  time.Duration `json:"probeInterval,omitempty"`
	ProbeThreshold int           `json:"probeThreshold,omitempty"`
	// FirstFamilyOnly gives AKS's dual-stack preview: a frontend for a Service's first family.
	FirstFamilyOnly bool `json:"firstFamilyOnly,omitempty"`
	// NoIPv6ProbeFix runs the agents with --fix-azure-lb-ipv6-probe=false, to show the
	// article's IPv6 externalTrafficPolicy: Cluster limitation.
	NoIPv6ProbeFix bool `json:"noIPv6ProbeFix,omitempty"`
}

// agentFlags are the agents' flags these options set.
func (o LoadBalancerOptions) agentFlags() []string {
	if o.NoIPv6ProbeFix {
		return []string{"--fix-azure-lb-ipv6-probe=false"}
	}
	return nil
}

// loadBalancerReport is where the load balancer writes its state for `lab status`.
func loadBalancerReport(dir string) string { return filepath.Join(dir, "loadbalancer.json") }

// startLoadBalancer runs the lab's Azure Load Balancer inside the supervisor: frontends from
// the internet's pools, the vnet namespace as the load balancer.
func startLoadBalancer(ctx context.Context, client kubernetes.Interface, lab Config, topo Topology, progress *progressLog) error {
	lb := loadbalancer.Config{
		Netns: netns.Path(topo.Names.Vnet()), Bridge: vnetBridge, Pools: topo.Internet.Pools,
		ProbeInterval: lab.LoadBalancer.ProbeInterval, ProbeThreshold: lab.LoadBalancer.ProbeThreshold,
		FirstFamilyOnly: lab.LoadBalancer.FirstFamilyOnly, ReportFile: loadBalancerReport(lab.Dir()),
	}
	progress.printf("starting the load balancer: LoadBalancer frontends from %s, reached from %s (%s)",
		joinCIDRs(topo.Internet.Pools), topo.Names.Internet(), joinPrefixes(topo.Internet.Client))
	go func() {
		if err := loadbalancer.Run(ctx, client, lb); err != nil {
			progress.printf("load balancer stopped: %v", err)
		}
	}()
	return nil
}
