package loadbalancer

import (
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// frontends decides each LoadBalancer Service's frontend address: the one it has, if it is in
// the pool of its family, else the lowest free one. Services are taken in a stable order so
// that a restart gives the same answers.
func frontends(services []*corev1.Service, pools []netip.Prefix) map[string]netip.Addr {
	out := map[string]netip.Addr{}
	used := map[netip.Addr]bool{}
	slices.SortFunc(services, func(a, b *corev1.Service) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(key(a), key(b))
	})
	var waiting []*corev1.Service
	for _, svc := range services {
		pool, ok := poolOf(svc, pools)
		if !ok {
			continue
		}
		if have, ok := current(svc, pool); ok && !used[have] {
			out[key(svc)], used[have] = have, true
			continue
		}
		waiting = append(waiting, svc)
	}
	for _, svc := range waiting {
		pool, _ := poolOf(svc, pools)
		// Skip the pool's network address, like any subnet.
		for a := pool.Masked().Addr().Next(); pool.Contains(a); a = a.Next() {
			if !used[a] {
				out[key(svc)], used[a] = a, true
				break
			}
		}
	}
	return out
}

// poolOf is the pool of the Service's first IP family.
func poolOf(svc *corev1.Service, pools []netip.Prefix) (netip.Prefix, bool) {
	want4 := true
	if len(svc.Spec.IPFamilies) > 0 {
		want4 = svc.Spec.IPFamilies[0] == corev1.IPv4Protocol
	}
	for _, p := range pools {
		if p.Addr().Is4() == want4 {
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
