// Package loadbalancer is the lab's stand-in for the Azure Load Balancer of an AKS cluster:
// it gives every Service of type LoadBalancer a frontend address from the lab's public pool
// of the Service's first IP family (as AKS provisions only the first family of a service, see
// the AKS dual-stack article), writes it to status.loadBalancer.ingress, and forwards the
// frontend's ports, in the vnet router's namespace, to the Service's ready endpoints.
//
// Forwarding goes straight to the endpoints (the pods, routable in the virtual network by the
// route table), with the client's address kept, which is what externalTrafficPolicy: Local
// gives on AKS. It must not touch anything outside the vnet namespace, and it rebuilds its
// whole nftables table on every change instead of patching it.
package loadbalancer
