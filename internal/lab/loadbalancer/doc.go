// Package loadbalancer is the lab's Azure Standard Load Balancer, configured as
// cloud-provider-azure configures one for an AKS cluster's LoadBalancer Services (its
// pkg/provider/azure_loadbalancer.go and azure_loadbalancer_healthprobe.go, defaults only):
//
//   - Frontends: a public address per IP family of the Service (RequireDualStack and
//     PreferDualStack get one of each, in spec.ipFamilies order), from the lab's pools, listed
//     in status.loadBalancer.ingress. Config.FirstFamilyOnly gives AKS's dual-stack preview
//     instead: only the first family gets one.
//   - Backend pool: every Node's InternalIP of the frontend's family, except Nodes labelled
//     node.kubernetes.io/exclude-from-external-load-balancers.
//   - One load-balancing rule per Service port (TCP and UDP; SCTP is refused on a public load
//     balancer), with floating IP: a packet reaches the chosen node still addressed to the
//     frontend, and kube-proxy's rules for status.loadBalancer.ingress take it there. The
//     annotation service.beta.kubernetes.io/azure-disable-load-balancer-floating-ip: "true"
//     makes the rule DNAT to NodeIP:NodePort instead. Load distribution is a 5-tuple hash
//     (sessionAffinity: ClientIP: a hash of the source and destination addresses).
//   - Health probes: externalTrafficPolicy Local: HTTP GET /healthz on the Service's
//     healthCheckNodePort, which kube-proxy answers 200 only on a node with a ready local
//     endpoint; Cluster: one probe per port on its NodePort, TCP unless the port's appProtocol
//     or the azure-load-balancer-health-probe-protocol annotation says HTTP or HTTPS (path "/",
//     or the azure-load-balancer-health-probe-request-path annotation); a UDP port of a
//     Cluster Service has no probe, so every backend takes its flows. cloud-provider-azure's
//     "shared" probe mode (kube-proxy's :10256/healthz for every Cluster Service) is opt-in
//     there and not modelled here. Probes come from Azure's probe sources, 168.63.129.16 and
//     fe80::1234:5678:9abc, on the nodes' link; every 5 s, and a backend changes state after 2
//     consecutive probes that say so (Config.ProbeInterval and ProbeThreshold shorten them).
//   - A new flow goes to a healthy backend, and stays on it for its life (the choice is kept in
//     the flow's conntrack mark), as a Standard load balancer lets existing flows continue; a
//     new flow with no healthy backend is dropped.
//
// The vnet router's namespace is the load balancer. Floating IP is done with policy routing:
// the nftables table inet dualnet-lab-lb marks a new flow with its backend's slot, and a rule
// per slot (fwmark = table) routes marked packets by a table whose default route is that
// node. The client's address is kept either way.
//
// The package must not touch anything outside the vnet namespace, and it rebuilds its whole
// nftables table on every change instead of patching it. Its state (frontends, rules, each
// backend's probe state) is written to Config.ReportFile for `dualnet lab status`.
package loadbalancer
