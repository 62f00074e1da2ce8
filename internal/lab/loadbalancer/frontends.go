package loadbalancer

import (
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// frontendKey names one frontend: a Service and a family.
type frontendKey struct {
	service string
	family  corev1.IPFamily
}

// frontendAddrs decides each LoadBalancer Service's frontend address of each of its families
// (the first only, with firstOnly): the one it has, if it is in the pool of its family and
// not taken, else the lowest free one. Services are taken in a stable order so that a
// restart gives the same answers.
func frontendAddrs(services []*corev1.Service, pools []netip.Prefix, firstOnly bool) map[frontendKey]netip.Addr {
	out := map[frontendKey]netip.Addr{}
	used := map[netip.Addr]bool{}
	services = slices.Clone(services)
	slices.SortFunc(services, func(a, b *corev1.Service) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(key(a), key(b))
	})
	var waiting []frontendKey
	for _, svc := range services {
		for _, family := range frontendFamilies(svc, firstOnly) {
			pool, ok := poolOf(family, pools)
			if !ok {
				continue
			}
			k := frontendKey{key(svc), family}
			if have, ok := current(svc, pool); ok && !used[have] {
				out[k], used[have] = have, true
				continue
			}
			waiting = append(waiting, k)
		}
	}
	for _, k := range waiting {
		pool, _ := poolOf(k.family, pools)
		// Skip the pool's network address, like any subnet.
		for a := pool.Masked().Addr().Next(); pool.Contains(a); a = a.Next() {
			if !used[a] {
				out[k], used[a] = a, true
				break
			}
		}
	}
	return out
}

// frontendFamilies are the families a Service gets a frontend of, in its order.
func frontendFamilies(svc *corev1.Service, firstOnly bool) []corev1.IPFamily {
	families := svc.Spec.IPFamilies
	if len(families) == 0 {
		families = []corev1.IPFamily{corev1.IPv4Protocol}
	}
	if firstOnly {
		return families[:1]
	}
	return families
}

func familyOf(a netip.Addr) corev1.IPFamily {
	if a.Is4() {
		return corev1.IPv4Protocol
	}
	return corev1.IPv6Protocol
}

func poolOf(family corev1.IPFamily, pools []netip.Prefix) (netip.Prefix, bool) {
	for _, p := range pools {
		if familyOf(p.Addr()) == family {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func current(svc *corev1.Service, pool netip.Prefix) (netip.Addr, bool) {
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if a, err := netip.ParseAddr(in.IP); err == nil && pool.Contains(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func key(svc *corev1.Service) string { return svc.Namespace + "/" + svc.Name }

// Backend is a member of a backend pool: a node's address of the pool's family.
type Backend struct {
	Node string
	IP   netip.Addr
}

// excludeLabel keeps a node out of every backend pool (cloud-provider-azure honours it as
// ShouldNodeExcludedFromLoadBalancer does).
const excludeLabel = corev1.LabelNodeExcludeBalancers

// backendPools are the backend pool of each family: every node's first InternalIP of it, by
// node name.
func backendPools(nodes []*corev1.Node) map[corev1.IPFamily][]Backend {
	out := map[corev1.IPFamily][]Backend{}
	for _, n := range nodes {
		if _, excluded := n.Labels[excludeLabel]; excluded {
			continue
		}
		for family, ip := range internalIPs(n) {
			out[family] = append(out[family], Backend{Node: n.Name, IP: ip})
		}
	}
	for _, pool := range out {
		slices.SortFunc(pool, func(a, b Backend) int { return strings.Compare(a.Node, b.Node) })
	}
	return out
}

// internalIPs is a node's first InternalIP of each family.
func internalIPs(n *corev1.Node) map[corev1.IPFamily]netip.Addr {
	out := map[corev1.IPFamily]netip.Addr{}
	for _, a := range n.Status.Addresses {
		ip, err := netip.ParseAddr(a.Address)
		if a.Type != corev1.NodeInternalIP || err != nil {
			continue
		}
		if _, ok := out[familyOf(ip)]; !ok {
			out[familyOf(ip)] = ip
		}
	}
	return out
}

// desiredFrontends are the frontends of the Services that have an address, with their rules,
// by Service and family order.
func desiredFrontends(services []*corev1.Service, addrs map[frontendKey]netip.Addr, firstOnly bool) []Frontend {
	var out []Frontend
	for _, svc := range services {
		rules := rulesOf(svc)
		for _, family := range frontendFamilies(svc, firstOnly) {
			if ip, ok := addrs[frontendKey{key(svc), family}]; ok {
				out = append(out, Frontend{Service: key(svc), IP: ip, Rules: rules})
			}
		}
	}
	slices.SortFunc(out, func(a, b Frontend) int {
		if c := strings.Compare(a.Service, b.Service); c != 0 {
			return c
		}
		return a.IP.Compare(b.IP)
	})
	return out
}

// ingressOf is the Service's status.loadBalancer.ingress: its frontends in family order.
func ingressOf(svc *corev1.Service, addrs map[frontendKey]netip.Addr, firstOnly bool) []netip.Addr {
	var out []netip.Addr
	for _, family := range frontendFamilies(svc, firstOnly) {
		if ip, ok := addrs[frontendKey{key(svc), family}]; ok {
			out = append(out, ip)
		}
	}
	return out
}
