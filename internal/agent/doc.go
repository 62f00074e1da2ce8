// Package agent is dualnet-agent's control loop on one node: it watches its own Node and all
// the others, and one sync computes the node's whole desired dataplane (bridge, sysctls,
// masquerade, CNI config, host routes) from them and applies the difference through the
// dataplane packages. A periodic resync repairs drift; readiness turns true once the node's
// dataplane and CNI config are in place; cleanup removes what the agent created. Apart from
// the sync, a periodic sweep writes the CNI plugin's anti-spoofing table again when it is
// missing or damaged, and deletes from it the registrations of deleted pods, which older
// kernels keep (antispoofsweep.go). Its health listener serves /healthz, /readyz and
// Prometheus /metrics: syncs, drift repaired, the sweep, and how full the node's pod CIDRs
// are in the plugin's address store (metrics.go).
//
// It must not write Kubernetes objects other than events, and must not hold dataplane
// details: those belong to internal/dataplane.
package agent
