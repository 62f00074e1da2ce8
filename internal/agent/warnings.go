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
	if done.noPortmap != nil {
		ws = append(ws, warning{
			key:    "HostPortUnsupported",
			object: self,
			reason: "HostPortUnsupported",
			message: fmt.Sprintf("node %s ignores pods' hostPort: the CNI config chains no portmap plugin, as there is none to install (%v): put upstream's portmap there (make build writes bin/portmap, the image has /usr/local/bin/portmap)",
				node, done.noPortmap),
			log: "No portmap plugin to install: pods' hostPort is ignored on this node", logKV: []any{"err", done.noPortmap},
		})
	}
	if done.noBandwidth != nil {
		ws = append(ws, warning{
			key:    "BandwidthUnsupported",
			object: self,
			reason: "BandwidthUnsupported",
			message: fmt.Sprintf("node %s ignores pods' kubernetes.io/ingress-bandwidth and kubernetes.io/egress-bandwidth: the CNI config chains no bandwidth plugin, as there is none to install (%v): put upstream's bandwidth there (make build writes bin/bandwidth, the image has /usr/local/bin/bandwidth)",
				node, done.noBandwidth),
			log: "No bandwidth plugin to install: pods' bandwidth annotations are ignored on this node", logKV: []any{"err", done.noBandwidth},
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
