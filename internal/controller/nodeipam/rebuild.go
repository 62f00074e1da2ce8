package nodeipam

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
)

// rebuild adopts the CIDRs of every node in the synced cache before any allocation, so that a
// restarted controller or a new leader never gives out a CIDR that a node already has.
func (c *Controller) rebuild(ctx context.Context) error {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("node IPAM: list nodes from the cache: %w", err)
	}
	// In name order, so that the report of two nodes sharing a block is the same every time.
	slices.SortFunc(nodes, func(a, b *nodeT) int { return strings.Compare(a.Name, b.Name) })
	adopted := 0
	for _, node := range nodes {
		if len(podCIDRsOf(node)) == 0 {
			continue
		}
		c.adopt(ctx, node)
		adopted++
	}
	klog.FromContext(ctx).V(2).Info("Adopted existing pod CIDRs", "nodes", adopted, "of", len(nodes))
	return nil
}
