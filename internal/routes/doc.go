// Package routes computes the route table a cluster needs from its nodes and the difference
// between that table and what a backend (an Azure route table, a Linux router) holds.
//
// It is pure: no Kubernetes, ARM or netlink calls. Backends live in the subpackages azure and
// kernel; the controller in internal/controller/routecontroller glues them to the cluster. The
// package must never decide to touch a route whose prefix lies outside the cluster's pod CIDRs:
// those belong to the user (a default route to a firewall, say) and are carried through
// unchanged.
package routes
