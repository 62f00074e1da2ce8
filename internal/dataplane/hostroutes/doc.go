// Package hostroutes keeps the node's routes to the other nodes' pod CIDRs in host-route mode
// (nodes that share a link): one route per pod CIDR via that node's InternalIP of the same
// family, in the main table, tagged with Protocol so that a restarted agent finds its own
// routes and nobody else's. A gateway that is not on-link is reported, never routed: the kernel
// would refuse the route or, worse, send pod traffic to the default gateway.
// It must not touch routes of any other protocol except when replacing one for a pod CIDR.
package hostroutes
