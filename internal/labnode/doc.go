// Package labnode is the lab's stand-in for the kubelet: one process per lab node that
// registers the Node (an InternalIP of each family, IPv4 first), keeps it Ready with a node
// Lease, and runs the pods bound to it. A pod gets a network namespace set up by the CNI
// plugin through libcni, called as containerd calls it (ADD when the pod starts, DEL when it
// is deleted, from the node's network namespace); its status reports podIPs IPv4 first; its
// containers run built-in workloads (package workload) inside the pod's namespace.
//
// Its Kubernetes client stays in the host's network namespace (the API server listens on the
// host's loopback); only the pods' dataplane work happens in the node namespace. It must not
// configure the node's network itself: that is dualnet-agent's and dualnet-cni's job, which
// the lab exists to test.
package labnode
