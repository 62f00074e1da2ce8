// Package lab builds and tears down dualnet's one-machine cluster: the network namespaces of
// the virtual network (vnet), its nodes and a VM on it (vnet-host), their addresses, and the
// processes of the control plane and of every node, with everything it made recorded in a
// state directory so that Down can remove exactly that.
//
// It must not touch the host's own interfaces, routes or nftables: every link, address,
// route and namespaced sysctl it makes lives inside a namespace it created. The control plane
// runs in a namespace of its own on the virtual network and the host reaches it through a
// relay socket on its loopback; each node's kubelet and containerd run inside the node's
// network, mount and UTS namespaces (nodeMachine). The kernel-wide settings the kubelet
// insists on are recorded first and put back by the last Down. The host's routes are only
// read, to refuse lab ranges that would shadow them.
package lab
