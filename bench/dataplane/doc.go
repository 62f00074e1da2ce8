// Package dataplane is the dataplane benchmark: iperf3 throughput from a pod to a pod on
// another node (host routes, no NAT) and from a pod to a VM on the virtual network (through
// the SNAT to the node IP), each against a direct veth pair between two namespaces (and, for
// reference, node to node over the virtual network without dualnet), in one run, both
// families, printing Gbit/s and the ratios (goal: at least 0.95).
//
//	bench/dataplane/run.sh            (go test -timeout 60m -run '^$' -bench . -benchtime 1x ./bench/dataplane)
//
// Every path runs with the same iperf3 options and CPU placement (client on CPU 0, server on
// CPU 1), after waiting for the CPUs to be idle, and the paths alternate round by round; the
// table shows medians, the spread of the paired ratios, the ratio against node -> node on the
// vnet (the floor any routed pod network pays) and the sender's retransmits.
//
// Why the ratios stay below 1: a veth hands a packet to the next hop on the CPU that
// transmits it, so the sender's core does the whole path's work (every veth, bridge, route
// lookup and netfilter hook) besides its own copying, and only the receiver's copy runs on the
// other core. The ablation rows (-ablations) take dualnet's per-packet work off step by step
// (anti-spoofing table, masquerade table and with it conntrack, bridge netfilter) and measure
// pod -> pod again, so the last row is what the topology alone costs.
//
// It runs as root on namespaces it creates; nothing touches the host's network.
package dataplane
