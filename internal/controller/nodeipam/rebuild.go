package nodeipam

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/ipam"
)

// rebuild adopts the CIDRs of every node in the synced cache before any allocation, so that a
// restarted controller or a new leader never gives out a CIDR that a node already has. Then it
// reserves blocks for the nodes still without CIDRs, oldest first: the informer's initial
// list reaches the queue in no particular order, and node i should be the i-th to arrive. The
// worker writes the reserved blocks (and tells the nodes past capacity).
func (c *Controller) rebuild(ctx context.Context) error {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("node IPAM: list nodes from the cache: %w", err)
	}
	slices.SortFunc(nodes, func(a, b *corev1.Node) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time), strings.Compare(a.Name, b.Name))
	})
	var waiting []*corev1.Node
	for _, node := range nodes {
		if len(podCIDRsOf(node)) == 0 {
			waiting = append(waiting, node)
			continue
		}
		c.adopt(ctx, node)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	reserved := 0
	for _, node := range waiting {
		var full *ipam.FullError
		if _, err := c.alloc.Allocate(node.Name); errors.As(err, &full) {
			break
		} else if err != nil {
			return fmt.Errorf("node IPAM: reserve pod CIDRs for node %q: %w", node.Name, err)
		}
		c.unchecked[node.Name] = true
		reserved++
	}
	klog.FromContext(ctx).V(2).Info("Adopted existing pod CIDRs", "nodes", len(nodes)-len(waiting), "of", len(nodes), "reservedForNodesWithout", reserved)
	return nil
}
