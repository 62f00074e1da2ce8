package labnode

import (
	"context"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// Run registers the node, keeps it Ready and runs its pods until ctx ends.
func Run(ctx context.Context, cfg Config, client kubernetes.Interface) error {
	node, err := register(ctx, client, cfg)
	if err != nil {
		return err
	}
	if err := renewLease(ctx, client, node); err != nil {
		klog.ErrorS(err, "renew node lease", "node", cfg.NodeName)
	}
	klog.InfoS("node registered", "node", cfg.NodeName, "addresses", node.Status.Addresses)
	go func() {
		t := time.NewTicker(heartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := renewLease(ctx, client, node); err != nil {
				klog.ErrorS(err, "renew node lease", "node", cfg.NodeName)
			}
			if _, err := reportStatus(ctx, client, cfg, false); err != nil {
				klog.ErrorS(err, "report node status", "node", cfg.NodeName)
			}
		}
	}()
	return runPods(ctx, cfg, client)
}
