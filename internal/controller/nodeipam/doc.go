// Package nodeipam is the node IPAM controller of dualnet-controller: it gives every node
// without pod CIDRs one per family (spec.podCIDRs, IPv4 first, and spec.podCIDR), numbered by
// internal/ipam.
//
// It rebuilds the allocator from every existing node before it allocates anything, so a
// restart or a new leader never hands out a CIDR a node already has. It never changes a
// node's CIDRs (kube-apiserver would refuse it anyway): CIDRs it would not have given (outside
// the cluster range, sharing a block with another node, a family missing) are reported as
// Warning events on the node. Nodes past the spec's capacity get a Warning event naming the
// binding limit and are served as soon as a node goes away.
//
// It must not program routes: the route controller does, and tells IPAM through
// Options.RoutesGone when a deleted node's routes are gone, so its block may be reused, and
// through Options.RoutesReady when it has read the route table, so that a block a route still
// points at (its node deleted while no controller ran) is not handed out either. Either wait
// ends with Options.HoldDown.
package nodeipam
