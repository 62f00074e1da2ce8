// Package sysctl sets the node's kernel switches the pod network needs: forwarding of each
// family, accept_ra=2 on the uplink (with forwarding on the kernel ignores router
// advertisements unless accept_ra is 2, and the node would lose its IPv6 default route), and
// bridge netfilter so that bridged pod traffic passes nftables as kube-proxy needs.
// It writes only values that differ, inside the node's namespace (/proc/sys/net is per
// namespace). It must not reset anything on cleanup: other software may rely on forwarding.
package sysctl
