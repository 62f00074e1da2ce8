package agent

import (
	"context"
	"errors"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
)

// sync computes the node's whole desired dataplane from the cache and applies the difference.
func (a *Agent) sync(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	self, err := a.nodes.Get(a.cfg.NodeName)
	if apierrors.IsNotFound(err) {
		a.ready.Store(false)
		logger.Info("Waiting for the Node object")
		return nil
	}
	if err != nil {
		return err
	}
	a.self.Store(self)
	nodes, err := a.nodes.List(labels.Everything())
	if err != nil {
		return err
	}
	all := make([]nodeInfo, 0, len(nodes))
	byName := make(map[string]*corev1.Node, len(nodes))
	for _, n := range nodes {
		all = append(all, nodeInfoOf(n))
		byName[n.Name] = n
	}
	desired, err := desiredFor(a.cfg, nodeInfoOf(self), all)
	if errors.Is(err, errNoPodCIDRs) {
		a.ready.Store(false)
		logger.Info("Waiting for pod CIDRs", "reason", err)
		return nil
	}
	if err != nil { // pod CIDRs no conflist can carry: the dataplane stays as it is
		a.ready.Store(false)
		return err
	}
	done, err := a.dp.apply(ctx, desired)
	// Repairs made before a part failed are reported all the same.
	a.reportRepairs(ctx, done.repairs)
	if slices.ContainsFunc(done.repairs, func(r repair) bool { return r.what == repairBridgePort }) {
		a.requestSweep() // the registrations of the pods back on the bridge checked at once
	}
	if err != nil {
		a.ready.Store(false)
		return err
	}
	a.reportWarnings(ctx, a.warningsOf(self, byName, desired, done))
	a.changes.Add(int64(len(done.changes) + len(done.repairs)))
	a.metrics.dataplaneApplied(desired, done)
	if len(done.changes) > 0 {
		logger.Info("Dataplane changed", "changes", done.changes)
	}
	if !a.ready.Swap(true) {
		logger.Info("Node dataplane ready", "podCIDRs", desired.network.PodCIDRs, "uplink", done.uplink.name)
	}
	a.syncs.Add(1)
	return nil
}
