// Package netspec is the cluster network spec that every dualnet component reads: the IP
// families, the pod and service CIDRs of each family, the size of a node's pod CIDR, the
// route table limit and, optionally, the node subnets of the virtual network.
//
// It parses the spec from the flags AKS uses (--ip-families, --pod-cidrs, --service-cidrs)
// or from a NetworkSpec file with the same fields (--config, config.go), fills in AKS's
// defaults, checks AKS's rules, and answers the address arithmetic questions the rest of
// dualnet asks: which pod CIDRs node i gets, how many nodes fit and which limit binds. It is
// pure apart from LoadConfig (config_file.go), which reads the --config file: no other I/O,
// no Kubernetes, no netlink.
package netspec
