package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
)

// warnAgain is how often a lasting warning is reported again: within the API server's
// default event TTL (one hour), so its event never expires while the problem lasts.
const warnAgain = 30 * time.Minute

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
	warned := map[string]time.Time{}
	isNew := func(key string) bool { // records the warning and says whether to report it now
		if last, ok := a.warned[key]; ok && time.Since(last) < warnAgain {
			warned[key] = last
			return false
		}
		warned[key] = time.Now()
		return true
	}
	for _, r := range done.offLink {
		if !isNew(fmt.Sprintf("NodeNotOnLink %s %s via %s", r.Node, r.Dst, r.Via)) {
			continue
		}
		// On the peer's Node object (with its UID), where `kubectl describe node` looks.
		a.recorder.Eventf(byName[r.Node], corev1.EventTypeWarning, "NodeNotOnLink",
			"node %s has no host route to pod CIDR %s: gateway %s is not on a link of node %s; host-route mode needs nodes on one link (use the route table instead)",
			a.cfg.NodeName, r.Dst, r.Via, a.cfg.NodeName)
		logger.Info("Node not on-link: no host route", "peer", r.Node, "podCIDR", r.Dst, "via", r.Via)
	}
	for _, family := range desired.noNodeIP {
		if !isNew("InternalIPMissing " + family) {
			continue
		}
		a.recorder.Eventf(self, corev1.EventTypeWarning, "InternalIPMissing",
			"node %s has no %s InternalIP in status.addresses, so there is no address to SNAT its pods' %s egress to: %s traffic from pods to destinations outside the cluster's pod CIDRs is dropped until the node reports an %s InternalIP",
			a.cfg.NodeName, family, family, family, family)
		logger.Info("No InternalIP of a family: its pod egress leaving the cluster is dropped", "family", family)
	}
	if done.noPortmap != nil && isNew("HostPortUnsupported") {
		a.recorder.Eventf(self, corev1.EventTypeWarning, "HostPortUnsupported",
			"node %s ignores pods' hostPort: the CNI config chains no portmap plugin, as there is none to install (%v): put upstream's portmap there (make build writes bin/portmap, the image has /usr/local/bin/portmap)",
			a.cfg.NodeName, done.noPortmap)
		logger.Info("No portmap plugin to install: pods' hostPort is ignored on this node", "err", done.noPortmap)
	}
	if done.noBandwidth != nil && isNew("BandwidthUnsupported") {
		a.recorder.Eventf(self, corev1.EventTypeWarning, "BandwidthUnsupported",
			"node %s ignores pods' kubernetes.io/ingress-bandwidth and kubernetes.io/egress-bandwidth: the CNI config chains no bandwidth plugin, as there is none to install (%v): put upstream's bandwidth there (make build writes bin/bandwidth, the image has /usr/local/bin/bandwidth)",
			a.cfg.NodeName, done.noBandwidth)
		logger.Info("No bandwidth plugin to install: pods' bandwidth annotations are ignored on this node", "err", done.noBandwidth)
	}
	a.warned = warned
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
