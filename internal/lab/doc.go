// Package lab builds and tears down dualnet's one-machine cluster: the network namespaces of
// the virtual network (vnet), its nodes and a VM on it (vnet-host), their addresses, and the
// processes of the control plane and of every node, with everything it made recorded in a
// state directory so that Down can remove exactly that.
//
// It must not touch the host's own interfaces, routes, sysctls or nftables: every link,
// address, route and sysctl it makes lives inside a namespace it created. The control plane
// listens on the host's loopback and the node processes keep their Kubernetes clients in the
// host namespace (their dataplane work happens in the node namespace given by --netns), so
// the lab needs no link into the host at all. The host's routes are only read, to refuse
// lab ranges that would shadow them.
package lab
