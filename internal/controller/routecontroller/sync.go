package routecontroller

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/routes"
)

// conflictRetries bounds how often one sync re-reads a table that someone else keeps writing.
const conflictRetries = 5

// sync rebuilds the whole desired table from the node cache, writes the difference in one
// write, then reports every node's condition. Running it twice in a row writes nothing.
func (c *Controller) sync(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	sortNodes(nodes)
	model := make([]routes.Node, len(nodes))
	for i, n := range nodes {
		model[i] = routingOf(n)
	}
	desired := routes.Desired(model, c.opts.PodCIDRs)

	var table routes.Table
	var plan routes.Plan
	var partial *routes.PartialWriteError
	for attempt := 1; ; attempt++ {
		table, err = c.opts.Backend.Read(ctx)
		if err != nil {
			return err
		}
		table.Routes = routes.Adopt(table.Routes, desired)
		c.remember(table.Routes)
		c.markRead()
		plan = routes.MakePlan(table.Routes, desired, c.opts.MaxRoutes-table.Others)
		if !plan.Changed() {
			break
		}
		// While the write is on the wire (and after it failed: it may have landed) the
		// table may hold either side's routes.
		c.remember(table.Routes, plan.Table)
		c.metrics.writes.Inc()
		err = c.opts.Backend.Write(ctx, table, plan)
		if err == nil {
			c.remember(plan.Table)
			logger.Info("Wrote route table", "added", len(plan.Added), "updated", len(plan.Updated),
				"removed", len(plan.Removed), "routes", len(plan.Table), "otherRoutes", table.Others, "unfit", len(plan.Unfit))
			break
		}
		if errors.As(err, &partial) {
			// The other routes landed: report every node as the table now stands, then fail
			// the sync, so that the failed routes are tried again.
			plan.Table = partial.Landed(plan.Table)
			break
		}
		if !errors.Is(err, routes.ErrConflict) || attempt == conflictRetries {
			return err
		}
		logger.V(2).Info("Route table changed under the write; reading it again", "attempt", attempt)
	}
	c.markSynced()
	c.metrics.routes.Set(float64(len(plan.Table)))
	c.metrics.otherRoutes.Set(float64(table.Others))
	c.metrics.unfitNodes.Set(float64(len(plan.Unfit)))
	err = c.report(ctx, nodes, desired, plan, table.Others, partial)
	if partial != nil {
		return errors.Join(partial, err)
	}
	return err
}

// remember records which of dualnet's prefixes the table may hold, for RoutesGone.
func (c *Controller) remember(tables ...[]routes.Route) {
	present := map[netip.Prefix]bool{}
	for _, table := range tables {
		for _, r := range table {
			present[r.Prefix] = true
		}
	}
	c.mu.Lock()
	c.present = present
	c.mu.Unlock()
}

func (c *Controller) markRead() {
	c.mu.Lock()
	c.tableRead = true
	c.mu.Unlock()
}

func (c *Controller) markSynced() {
	c.mu.Lock()
	c.tableSynced = true
	c.mu.Unlock()
}

// report sets each node's NetworkUnavailable condition and tells nodes newly left without
// room that the table is full. partial, if not nil, is the write's: a node whose routes
// failed is told why.
func (c *Controller) report(ctx context.Context, nodes []*corev1.Node, desired []routes.NodeRoutes, plan routes.Plan, others int, partial *routes.PartialWriteError) error {
	unfit := map[string]bool{}
	for _, n := range plan.Unfit {
		unfit[n] = true
	}
	failed := map[string]error{} // by route name
	if partial != nil {
		for _, f := range partial.Failed {
			failed[f.Route.Name] = f.Err
		}
	}
	byName := map[string]*corev1.Node{}
	for _, n := range nodes {
		byName[n.Name] = n
	}
	c.reportFull(nodes, byName, unfit, len(plan.Table), others)

	var updates []conditionUpdate
	for _, nr := range desired {
		var writeErrs []error
		for _, r := range nr.Routes {
			if err := failed[r.Name]; err != nil {
				writeErrs = append(writeErrs, err)
			}
		}
		want := condition(nr, routes.Routed(nr, plan.Table), unfit[nr.Node], errors.Join(writeErrs...), c.opts.MaxRoutesSetting)
		if cond, change := changeTo(byName[nr.Node], want); change {
			updates = append(updates, conditionUpdate{node: nr.Node, cond: cond})
		}
	}
	return c.setConditions(ctx, updates)
}
