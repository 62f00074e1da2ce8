// Package dataplane is the dataplane benchmark: dualnet's pod network against the stack an
// AKS kubenet node runs instead (the peer), on the same lab topology, in one run, both
// families. Two paths: a pod to a pod on another node (host routes, no NAT) and a pod to a VM
// on the virtual network (through the SNAT to the node IP). For each it prints TCP throughput
// (Gbit/s) and 1-byte TCP request/response latency (p50/p99, netperf TCP_RR-style), both from
// bench/dataplane/rr, the ratio dualnet/peer with its spread, the goals beside them
// (throughput at least 0.97 of the peer's, request/response p50 at most 1.05 of the peer's),
// and two floors measured in the same runs: a direct veth pair between two namespaces, and
// node -> node on the virtual network without any pod network.
//
//	bench/dataplane/run.sh            (go test -timeout 90m -run '^$' -bench . -benchtime 1x ./bench/dataplane)
//	bench/dataplane/run.sh -rounds 3 -seconds 2 -rr-seconds 2 -ablations=false
//
// The peer: upstream's bridge and host-local plugins v1.10.0 (built from the module in
// go.mod, as bench/cni builds them; bridge with the gateways, hairpin, host-local with the
// node's pod CIDR of each family), ip-masq-agent's masquerade written in nftables (traffic to
// anything not local and outside the cluster's pod CIDRs leaves masqueraded, table
// dn-bench-ipmasq), bridge netfilter on (bridge-nf-call-iptables/ip6tables, per network
// namespace, as checked on Linux 6.18: the host's are never changed), forwarding on, and the
// IPv6 LB probe rewrite that AgentBaker's ipv6_nftables service puts on every AKS node with
// IPv6 (table dn-bench-azure-slb-probe; -peer-lb-probe=false leaves it out). Its
// two nodes are two more namespaces on the same vnet as dualnet's two, with each other's pod
// CIDRs routed to them as dualnet's host routes do (Azure's route table does it on AKS).
// Neither side runs kube-proxy.
//
// Every path runs with the same CPU placement (client on CPU 0, servers on CPU 1, by
// taskset), after waiting for the CPUs to be idle. Paths are not measured one after another:
// one rr client holds a connection on every path and takes turns among them, a 16 MiB
// request each (throughput: the time until the client hears that the server has all of it,
// written 128 KiB at a time as iperf3 writes), or 100 round trips each (about 2 ms, for
// latency), so that every path is measured in the same seconds and a slow spell of the shared
// machine weighs on all of them alike. Measured one path after the other, as this benchmark
// once ran iperf3, the same path moved by up to a third between runs here, more than the
// gaps the goals are about. The order reverses
// every other round; each ratio pairs a row with the row it is compared with from the same
// round, the table shows the median of those paired ratios and their spread, and "busy runs"
// counts the runs (throughput and request/response each count) that started on busy CPUs.
//
// Why the ratios to the direct pair stay below 1: a veth hands a packet to the next hop on
// the CPU that transmits it, so the sender's core does the whole path's work (every veth,
// bridge, route lookup and netfilter hook) besides its own copying, and only the receiver's
// copy runs on the other core. The ablation rows (-ablations) take dualnet's per-packet work
// off step by step (anti-spoofing table, masquerade table and with it conntrack, the IPv6 LB
// probe table, bridge netfilter), measure pod -> pod again beside the untouched peer, and a last table shows what
// each step saved: per round trip, per packet (a 1-byte round trip is two packets, and the
// anti-spoofing table sees each once, where it enters the bridge from the sending pod), and
// how the ratios to the peer move.
//
// It runs as root on namespaces it creates (dn-...); nothing touches the host's network.
package dataplane
