package agent

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// What a repair put back: the values of dualnet_agent_repairs_total's label "what".
const (
	repairBridge        = "bridge"         // the bridge created again (it was deleted), or set up
	repairBridgeAddress = "bridge_address" // a gateway address put back on the bridge, or a stray one removed
	repairBridgeRoute   = "bridge_route"   // a pod CIDR's route through the bridge put back
	repairBridgePort    = "bridge_port"    // a running pod's host veth attached to the bridge again
	repairSysctl        = "sysctl"
	repairMasquerade    = "masquerade" // table inet dualnet written again
	repairHostRoute     = "host_route" // a route to another node's pod CIDR
	repairCNIConfig     = "cni_config"
	repairCNIPlugin     = "cni_plugin" // dualnet's plugin or a chained one installed again
	repairAntispoof     = "antispoof"  // the CNI plugin's anti-spoofing table written again (the sweep)
)

// repairKinds lists every kind, so that the metric shows each from the start.
var repairKinds = []string{repairBridge, repairBridgeAddress, repairBridgeRoute, repairBridgePort,
	repairSysctl, repairMasquerade, repairHostRoute, repairCNIConfig, repairCNIPlugin, repairAntispoof}

// repair is node state that the agent had put in place, found missing or changed, and put
// back: drift, as opposed to an update (a change that follows a change of the Node objects
// or of the uplink). A part counts as drifted when its desired value is the same as at the
// last successful sync, which put it in place; a sync right after the agent starts has no
// such sync to compare with, so only what is drift whatever came before counts there: a
// pod CIDR's route missing beside its gateway, a running pod's veth off the bridge.
type repair struct {
	what    string // the metric's label
	count   int    // how many pieces (routes, addresses, ports, sysctls)
	missing string // what the sync found
	done    string // what it did
}

// reportRepairs says each repair three ways: a log line, a Warning event on the Node (where
// `kubectl describe node` shows it) and dualnet_agent_repairs_total.
func (a *Agent) reportRepairs(ctx context.Context, repairs []repair) {
	logger := klog.FromContext(ctx)
	for _, r := range repairs {
		logger.Info("Repaired node state", "what", r.what, "count", r.count, "missing", r.missing, "done", r.done)
		a.recorder.Eventf(a.nodeObject(), corev1.EventTypeWarning, "DataplaneRepaired",
			"node %s: %s: %s", a.cfg.NodeName, r.missing, r.done)
		a.metrics.repairs.WithLabelValues(r.what).Add(float64(r.count))
	}
}

// nodeObject is the Node the events are about: as the last sync saw it (with its UID), or,
// before a sync has seen it (the anti-spoofing sweep starts first), a reference by name as
// the kubelet makes for its node's events.
func (a *Agent) nodeObject() runtime.Object {
	if n := a.self.Load(); n != nil {
		return n
	}
	return &corev1.ObjectReference{Kind: "Node", Name: a.cfg.NodeName, UID: types.UID(a.cfg.NodeName)}
}
