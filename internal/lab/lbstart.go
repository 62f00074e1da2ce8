package lab

import (
	"context"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/dualnet/dualnet/internal/lab/loadbalancer"
)

// startLoadBalancer runs the lab's Azure Load Balancer stand-in inside the supervisor: frontends
// from the internet's pools, forwarded in the vnet namespace.
func startLoadBalancer(ctx context.Context, cfg *rest.Config, topo Topology, progress *progressLog) error {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	progress.printf("starting the load balancer: LoadBalancer frontends from %s, reached from %s (%s)",
		joinCIDRs(topo.Internet.Pools), topo.Names.Internet(), joinPrefixes(topo.Internet.Client))
	go func() {
		lb := loadbalancer.Config{Netns: NetnsPath(topo.Names.Vnet()), Pools: topo.Internet.Pools}
		if err := loadbalancer.Run(ctx, client, lb); err != nil {
			progress.printf("load balancer stopped: %v", err)
		}
	}()
	return nil
}
