// Package agent is dualnet-agent's control loop on one node: it watches its own Node and all
// the others, and one sync computes the node's whole desired dataplane (bridge, sysctls,
// masquerade, CNI config, host routes) from them and applies the difference through the
// dataplane packages. Readiness turns true once the node's dataplane and CNI config are in
// place; cleanup removes what the agent created. Apart from the sync, a periodic sweep writes
// the CNI plugin's anti-spoofing table again when it is missing or damaged, and deletes from
// it the registrations of deleted pods, which older kernels keep (antispoofsweep.go). Its
// health listener serves /healthz, /readyz and Prometheus /metrics: syncs, repairs, the
// sweep, and how full the node's pod CIDRs are in the plugin's address store (metrics.go).
//
// # Repairs
//
// Nothing the node can lose stays lost: every sync also puts back what it finds missing or
// changed of what it put in place. That is the bridge (created again when deleted, with its
// gateways, and the host veths of the running pods, which the plugin's address store knows,
// attached again with hairpin mode on and their anti-spoofing registrations checked at
// once), the bridge's gateway addresses and the routes of the pod CIDRs through it in both
// families (the kernel does not add a deleted one again), sysctls, the masquerade table,
// host routes, the conflist and the plugin binaries; the sweep does the same for the
// anti-spoofing table. Each repair is a log line ("Repaired node state", with what was
// missing and what was done), a Warning event DataplaneRepaired on the Node, and
// dualnet_agent_repairs_total{what}; repair.go tells a repair from an update (a change that
// follows the Node objects).
//
// A sync runs on every change of the Node objects' pod CIDRs and InternalIPs, at least every
// --resync (a minute by default), and at once when a watch sees drift (watch.go): netlink
// updates of the node's namespace (the bridge deleted, created or set down, an address of
// the bridge or a route through it changed, a host route changed, a running pod's veth off
// the bridge), nftables notifications (table inet dualnet changed; a part of the
// anti-spoofing table deleted, which runs the sweep at once), and inotify events of the CNI
// conf and bin directories (the conflist or a plugin written, renamed or removed). What
// comes and goes with pods wakes nothing. So a repair takes one sync, about 0.3 s, and the
// bridge is back within its first milliseconds (deploy/README.md has the measured figures);
// the periodic resync and sweep are the backstop, for sysctls and for what a lost watch
// missed.
//
// It must not write Kubernetes objects other than events, and must not hold dataplane
// details: those belong to internal/dataplane.
package agent
