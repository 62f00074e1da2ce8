// Package dataplane is the dataplane benchmark: iperf3 throughput from a pod to a pod on
// another node (host routes, no NAT) and from a pod to a VM on the virtual network (through
// the SNAT to the node IP), each against a direct veth pair between two namespaces (and, for
// reference, node to node over the virtual network without dualnet), in one
// run, both families, printing Gbit/s and the ratios (goal: at least 0.95).
//
//	bench/dataplane/run.sh            (go test -run '^$' -bench . -benchtime 1x ./bench/dataplane)
//
// It runs as root on namespaces it creates; nothing touches the host's network.
package dataplane
