// Package masquerade keeps the node's source NAT for pod egress in one nftables table,
// `inet dualnet`: traffic from the cluster's pod CIDRs to anything outside them (and outside
// the non-masquerade CIDRs) leaves with the node's InternalIP of the same family, exactly that
// address, while pod-to-pod traffic keeps its source. When the node has no InternalIP of a
// family, that family's pod egress leaving the cluster is dropped (and counted) rather than
// let out with the pod's own address. IPv4 and IPv6 have their own sets and rules. The rules are nft text so that they read like `nft list table inet dualnet`.
//
// It must not touch any other table: kube-proxy and the host own those.
package masquerade
