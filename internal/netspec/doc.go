// Package netspec is the cluster network spec that every dualnet component reads: the IP
// families, the pod and service CIDRs of each family, the size of a node's pod CIDR, the
// route table limit and, optionally, the node subnets of the virtual network.
//
// It parses the spec from the values of the flags AKS uses (--ip-families, --pod-cidrs,
// --service-cidrs), fills in AKS's defaults, checks AKS's rules, and answers the address
// arithmetic questions the rest of dualnet asks: which pod CIDRs node i gets, how many nodes
// fit and which limit binds. It is pure: no I/O, no Kubernetes, no netlink. Package specfile
// binds the flags to a command and reads the NetworkSpec file (--config) that can replace
// them; it is apart so that the CNI plugin, which runs once per pod and needs only the rules
// here, does not start a YAML decoder on every call.
package netspec
