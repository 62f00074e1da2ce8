package nodeipam

import (
	"context"
	"net/netip"

	"k8s.io/klog/v2"
)

// allocateWithoutStaleRoutes allocates the lowest free block that no route still points at.
// A block with a route left behind (its node was deleted while no controller ran, so IPAM
// never saw it go) is held as if just released, and counts against the route table as its
// route does, until the route controller removes the route or the hold-down period passes:
// a block the period freed is handed out whatever routes remain, as --released-cidr-hold-down
// promises (a route that outlives it is one the route controller cannot remove, and then it
// cannot write the new node's route either, so the node stays NetworkUnavailable until it
// can). Call with c.mu held.
func (c *Controller) allocateWithoutStaleRoutes(ctx context.Context, name string) ([]netip.Prefix, error) {
	checkRoutes := c.routesReady != nil && c.routesGone != nil
	if cidrs, ok := c.alloc.CIDRs(name); ok {
		unchecked := c.unchecked[name]
		delete(c.unchecked, name)
		// Already the node's (its write may be under way, and its new route with it): the
		// routes now are the node's own, never a reason to take the block back. Only a block
		// reserved at rebuild, before the route table was read, is checked once.
		if !unchecked || !checkRoutes || c.routesGone(cidrs) {
			return cidrs, nil
		}
		c.holdStale(ctx, name, cidrs)
	}
	for {
		cidrs, err := c.alloc.Allocate(name)
		if err != nil || !checkRoutes || c.alloc.PastHoldDown(name) || c.routesGone(cidrs) {
			return cidrs, err
		}
		c.holdStale(ctx, name, cidrs)
	}
}

// holdStale holds back a block that a route still points at. Call with c.mu held.
func (c *Controller) holdStale(ctx context.Context, name string, cidrs []netip.Prefix) {
	klog.FromContext(ctx).Info("Holding back pod CIDRs that a route still points at", "podCIDRs", cidrs, "forNode", name)
	c.alloc.Release(name)
}
