// Package lbprobe lets Azure Load Balancer's IPv6 health probes be forwarded into pods.
//
// Azure probes IPv6 backends from the link-local address fe80::1234:5678:9abc. A probe of an
// externalTrafficPolicy: Cluster Service goes to its NodePort, which kube-proxy DNATs to any
// endpoint. When that is a pod on the node, the node must forward a packet with a link-local
// source to another link, which a router must not do (RFC 4291 section 2.5.6): Linux's
// ip6_forward drops it and answers ICMPv6 "beyond scope of source address", and the probe's
// connect fails ("no route to host", about a second later, at the SYN's retransmission).
// When the endpoint is on another node, the packet leaves by the link it came in on, where
// ip6_forward does not make that check, and kube-proxy masquerades it: that probe succeeds.
// So a node fails the probes that land on its own pods: the node of a Service's only pod is
// always down, nodes sharing the endpoints flap, and a Service whose endpoints are all on
// the nodes in its pool has no healthy backend. That is why AKS's dual-stack kubenet preview
// required externalTrafficPolicy: Local for IPv6, where kube-proxy answers the probe on the
// node itself (its healthCheckNodePort).
//
// AKS nodes later got an nftables table (Azure/AgentBaker pull requests 2334 and 2393) that
// rewrites the probe's source, on the way in, to the global address
// 2603:1062:0:1:fe80:1234:5678:9abc, and the answer's destination back on the way out. This
// package keeps the same rewrite in a table of its own, `ip6 dualnet-lb-probe`, with the
// same addresses, so a node that also has AKS's table sees one rewrite, whichever runs first:
//
//   - only TCP (Azure's probes are TCP, HTTP or HTTPS), so neighbour discovery and router
//     advertisements from the same address, which on Azure is the default gateway's, are left
//     alone;
//   - only on the node's uplink, so a pod cannot borrow the probe's identity;
//   - before conntrack (priority raw), so kube-proxy's DNAT and the forwarding check see the
//     global source.
//
// IPv4 needs nothing: the IPv4 probe source, 168.63.129.16, is a global address that a node
// forwards like any other. The package must not touch any other table.
package lbprobe
