package nodeipam

import (
	"context"

	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/ipam"
)

// reclaimHeld frees the blocks of released nodes whose routes have gone (or whose hold-down
// passed) since the last look: no node event announces that, so reclaimHeld looks every
// recheckHeld.
func (c *Controller) reclaimHeld(ctx context.Context) {
	c.mu.Lock()
	freed := 0
	if c.alloc.Stats().Held > 0 {
		freed = c.reclaim()
	}
	c.mu.Unlock()
	if freed > 0 {
		klog.FromContext(ctx).V(2).Info("Freed pod CIDRs of deleted nodes whose routes are gone", "nodes", freed)
		c.serveWaiting()
	}
}

// serveWaiting gives the nodes waiting for room another look.
func (c *Controller) serveWaiting() {
	c.mu.Lock()
	waiters := make([]string, 0, len(c.waiting))
	for w := range c.waiting {
		waiters = append(waiters, w)
	}
	c.mu.Unlock()
	for _, w := range waiters {
		c.queue.Add(w)
	}
}

// reclaim frees the blocks of released nodes whose routes are gone and returns how many
// nodes' blocks it freed. Call with c.mu held.
func (c *Controller) reclaim() int {
	return c.alloc.Reclaim(func(r ipam.Released) bool {
		return c.routesGone == nil || c.routesGone(r.CIDRs)
	})
}
