package agent

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"
)

// warnAgain is how often a lasting warning is reported again: within the API server's
// default event TTL (one hour), so its event never expires while the problem lasts.
const warnAgain = 30 * time.Minute

// warning is a lasting problem a sync found: while it lasts, it is a Warning event on object
// (where `kubectl describe node` shows it) and a log line, each new one at once and then
// every warnAgain.
type warning struct {
	key     string         // tells one warning from another across syncs
	object  runtime.Object // the Node the event is on
	reason  string         // the event's reason, as `kubectl get events` shows it
	message string         // the event's message: what is wrong, what it breaks, what to do
	log     string         // the log line's message
	logKV   []any          // and its key/value pairs
}

// warningsOf is every warning of a sync, one row per kind of problem; docs/events.md lists
// them for users, beside the controller's.
func (a *Agent) warningsOf(self *corev1.Node, byName map[string]*corev1.Node, desired desiredState, done applied) []warning {
	node := a.cfg.NodeName
	var ws []warning
	for _, r := range done.offLink {
		ws = append(ws, warning{
			key:    fmt.Sprintf("NodeNotOnLink %s %s via %s", r.Node, r.Dst, r.Via),
			object: byName[r.Node], // the peer's Node, whose pods this node cannot reach
			reason: "NodeNotOnLink",
			message: fmt.Sprintf("node %s has no host route to pod CIDR %s: gateway %s is not on a link of node %s; host-route mode needs nodes on one link (use the route table instead)",
				node, r.Dst, r.Via, node),
			log: "Node not on-link: no host route", logKV: []any{"peer", r.Node, "podCIDR", r.Dst, "via", r.Via},
		})
	}
	for _, family := range desired.noNodeIP {
		ws = append(ws, warning{
			key:    "InternalIPMissing " + string(family),
			object: self,
			reason: "InternalIPMissing",
			message: fmt.Sprintf("node %s has no %s InternalIP in status.addresses, so there is no address to SNAT its pods' %s egress to: %s traffic from pods to destinations outside the cluster's pod CIDRs is dropped until the node reports an %s InternalIP",
				node, family, family, family, family),
			log: "No InternalIP of a family: its pod egress leaving the cluster is dropped", logKV: []any{"family", family.String()},
		})
	}
	// A chained plugin that is not there to install: the conflist leaves it out, and what it
	// does for pods is ignored on this node.
	for _, p := range []struct {
		reason, plugin, ignored, log string
		err                          error
	}{
		{"HostPortUnsupported", "portmap", "pods' hostPort",
			"No portmap plugin to install: pods' hostPort is ignored on this node", done.noPortmap},
		{"BandwidthUnsupported", "bandwidth", "pods' kubernetes.io/ingress-bandwidth and kubernetes.io/egress-bandwidth",
			"No bandwidth plugin to install: pods' bandwidth annotations are ignored on this node", done.noBandwidth},
	} {
		if p.err == nil {
			continue
		}
		ws = append(ws, warning{
			key:    p.reason,
			object: self,
			reason: p.reason,
			message: fmt.Sprintf("node %s ignores %s: the CNI config chains no %s plugin, as there is none to install (%v): put upstream's %s there (make build writes bin/%s, the image has /usr/local/bin/%s)",
				node, p.ignored, p.plugin, p.err, p.plugin, p.plugin, p.plugin),
			log: p.log, logKV: []any{"err", p.err},
		})
	}
	return ws
}

// reportWarnings reports each warning that is new or was last reported warnAgain ago, and
// forgets the ones that are gone, so that one coming back is reported at once.
func (a *Agent) reportWarnings(ctx context.Context, ws []warning) {
	logger := klog.FromContext(ctx)
	warned := make(map[string]time.Time, len(ws))
	for _, w := range ws {
		if last, ok := a.warned[w.key]; ok && time.Since(last) < warnAgain {
			warned[w.key] = last
			continue
		}
		warned[w.key] = time.Now()
		a.recorder.Event(w.object, corev1.EventTypeWarning, w.reason, w.message)
		logger.Info(w.log, w.logKV...)
	}
	a.warned = warned
}
