package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/ipam"
	"github.com/dualnet/dualnet/internal/nodeaddrs"
)

// sync brings one node's pod CIDRs to what they should be: kept if it has some, assigned if
// it has none and there is room, released if the node is gone.
func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.nodes.Get(name)
	switch {
	case apierrors.IsNotFound(err):
		c.release(ctx, name)
		return nil
	case err != nil:
		return fmt.Errorf("get node %q from the cache: %w", name, err)
	case len(podCIDRsOf(node)) > 0:
		c.adopt(ctx, node)
		return nil
	}
	return c.assign(ctx, node)
}

// assign gives a node without CIDRs the lowest free block, or tells it there is no room.
func (c *Controller) assign(ctx context.Context, node *corev1.Node) error {
	if c.routesReady != nil {
		if err := c.routesReady(); err != nil {
			// Until the route table is read, a dead node's route may still send a block's
			// traffic elsewhere: wait, do not guess.
			c.queue.AddAfter(node.Name, recheckHeld)
			return nil
		}
	}
	c.mu.Lock()
	c.reclaim()
	cidrs, err := c.allocateWithoutStaleRoutes(ctx, node.Name)
	var full *ipam.FullError
	if errors.As(err, &full) {
		firstTime := !c.waiting[node.Name]
		c.waiting[node.Name] = true
		c.mu.Unlock()
		if firstTime {
			c.recorder.Event(node, corev1.EventTypeWarning, ReasonCIDRNotAvailable, err.Error())
			klog.FromContext(ctx).Info("No pod CIDR available for node", "node", node.Name, "reason", err.Error())
		}
		return nil
	}
	delete(c.waiting, node.Name)
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("allocate pod CIDRs for node %q: %w", node.Name, err)
	}
	c.patchInBackground(ctx, node, cidrs)
	return nil
}

// adopt records the CIDRs a node has and reports those dualnet would not have given.
func (c *Controller) adopt(ctx context.Context, node *corev1.Node) {
	cidrs := podCIDRsOf(node)
	c.mu.Lock()
	report := c.alloc.Adopt(node.Name, cidrs)
	delete(c.waiting, node.Name)
	delete(c.unchecked, node.Name)
	// Report each node's CIDRs once: the allocator forgets nodes whose CIDRs are all outside
	// the cluster range, so it would report them again on every node update.
	key := fmt.Sprint(cidrs)
	firstReport := c.reported[node.Name] != key
	if !report.OK() {
		c.reported[node.Name] = key
	}
	c.mu.Unlock()
	if !report.OK() && firstReport {
		c.reportAdoption(ctx, node, cidrs, report)
	}
}

// release frees a deleted node's block (once its routes are gone) and gives the nodes that
// wait for room another look.
func (c *Controller) release(ctx context.Context, name string) {
	c.mu.Lock()
	released := c.alloc.Release(name)
	delete(c.waiting, name)
	delete(c.reported, name)
	delete(c.unchecked, name)
	freed := c.reclaim()
	c.mu.Unlock()
	c.patchRetry.Forget(name)
	if released {
		klog.FromContext(ctx).V(2).Info("Released pod CIDRs of deleted node", "node", name, "freedNow", freed > 0)
	}
	if freed > 0 {
		c.serveWaiting()
	}
}

// podCIDRsOf reads the ranges a node holds (nodeaddrs.RawPodCIDRs: spec.podCIDR alone counts
// for nodes written by clients that predate spec.podCIDRs). Unlike nodeaddrs.PodCIDRs it takes
// a list that breaks the plugin's rules (IPv6 first, say) as it is: its blocks are still held,
// and must not be given to another node.
func podCIDRsOf(node *corev1.Node) []netip.Prefix {
	_, list := nodeaddrs.RawPodCIDRs(node)
	var cidrs []netip.Prefix
	for _, s := range list {
		// kube-apiserver validates them; one that does not parse cannot be routed anyway.
		if p, err := netip.ParsePrefix(s); err == nil {
			cidrs = append(cidrs, p)
		}
	}
	return cidrs
}
