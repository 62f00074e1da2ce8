// Package ipam hands out node pod CIDRs: one block per IP family, with the same block number
// in every family (node i gets 10.244.i.0/24 and fd12:3456:789a:0:i::/80), lowest free
// number first.
//
// It adopts what nodes already have (also blocks that kube-controller-manager allocated with
// other numbers or sizes per family), so that nobody else is given an overlapping block, and it
// holds a released block back until the node's routes are gone, so that a new node does not
// receive traffic still routed to a dead one, or until a hold-down period passes: a route
// that outlives it is one nobody can remove, and the block is not held for ever.
//
// It is pure: no Kubernetes, no I/O, no goroutines, not safe for concurrent use (callers
// serialize). It never keeps a bitmap of the whole block space: free blocks are kept as
// ranges, so a /48 cut into /80s (2^32 blocks) costs no more than a /16 cut into /24s.
package ipam
