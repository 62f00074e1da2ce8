// Package lab builds and tears down dualnet's one-machine cluster: the network namespaces of
// the virtual network (vnet), its nodes and a VM on it (vnet-host), their addresses, and the
// processes of the control plane and of every node, with everything it made recorded in a
// state directory so that Down can remove exactly that.
//
// It must not touch the host's own interfaces, routes, sysctls or nftables: every link,
// address, route and sysctl it makes lives inside a namespace it created. The control plane
// listens on the host's loopback and the node processes keep their Kubernetes clients in the
// host namespace (their dataplane work happens in the node namespace given by --netns), so
// the lab needs no link into the host at all; kube-proxy, which has no --netns, runs inside
// its node's namespace and reaches the API server through a relay socket the supervisor
// opens on that namespace's loopback, with every flag that would write a host-global
// setting (nf_conntrack_max, the conntrack hashsize) turned off. The host's routes are only
// read, to refuse lab ranges that would shadow them.
package lab
