package routecontroller

import (
	corev1 "k8s.io/api/core/v1"
)

// ReasonRouteTableFull is the Warning event a node gets when its routes do not fit.
const ReasonRouteTableFull = "RouteTableFull"

// reportFull posts RouteTableFull once per node each time it finds itself without room, and
// forgets nodes that got room or are gone.
func (c *Controller) reportFull(nodes []*corev1.Node, byName map[string]*corev1.Node, unfit map[string]bool, used, others int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.full {
		if !unfit[name] || byName[name] == nil {
			delete(c.full, name)
		}
	}
	for _, n := range nodes {
		if !unfit[n.Name] || c.full[n.Name] {
			continue
		}
		c.full[n.Name] = true
		c.opts.Recorder.Eventf(n, corev1.EventTypeWarning, ReasonRouteTableFull,
			"no room for this node's routes: the route table holds %d routes (%d of them not dualnet's) and %s is %d; existing routes are never dropped to make room. Raise it if the table allows more (Azure: up to 1,000), or remove nodes",
			used+others, others, c.opts.MaxRoutesSetting, c.opts.MaxRoutes)
	}
}
