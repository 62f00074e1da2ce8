package loadbalancer

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/knftables"
)

// Table is the lab load balancer's nftables table in the vnet namespace.
const Table = "dualnet-lab-lb"

// forward is one frontend port and where it goes.
type forward struct {
	service   string
	frontend  netip.Addr
	protocol  string // tcp, udp
	port      int32
	endpoints []netip.AddrPort
}

// forwards lists what each Service's frontend forwards: every port, to the ready endpoints of
// the frontend's family, on the endpoint port of the same name.
func forwards(services []*corev1.Service, front map[string]netip.Addr, slices_ []*discoveryv1.EndpointSlice) []forward {
	var out []forward
	for _, svc := range services {
		fe, ok := front[key(svc)]
		if !ok {
			continue
		}
		for _, sp := range svc.Spec.Ports {
			f := forward{service: key(svc), frontend: fe, protocol: strings.ToLower(string(sp.Protocol)), port: sp.Port}
			if f.protocol == "" {
				f.protocol = "tcp"
			}
			for _, es := range slices_ {
				if es.Namespace != svc.Namespace || es.Labels[discoveryv1.LabelServiceName] != svc.Name {
					continue
				}
				port, ok := endpointPort(es, sp)
				if !ok {
					continue
				}
				for _, ep := range es.Endpoints {
					if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
						continue
					}
					for _, s := range ep.Addresses {
						a, err := netip.ParseAddr(s)
						if err == nil && a.Is4() == fe.Is4() {
							f.endpoints = append(f.endpoints, netip.AddrPortFrom(a, uint16(port)))
						}
					}
				}
			}
			slices.SortFunc(f.endpoints, func(a, b netip.AddrPort) int { return a.Compare(b) })
			out = append(out, f)
		}
	}
	return out
}

func endpointPort(es *discoveryv1.EndpointSlice, sp corev1.ServicePort) (int32, bool) {
	for _, p := range es.Ports {
		if p.Port != nil && (p.Name == nil && sp.Name == "" || p.Name != nil && *p.Name == sp.Name) {
			return *p.Port, true
		}
	}
	return 0, false
}

// transaction rebuilds the whole table: one prerouting DNAT chain with a rule per frontend
// port, a chain per frontend port that picks an endpoint at random, a chain per endpoint.
func transaction(tx *knftables.Transaction, fwds []forward) {
	tx.Add(&knftables.Table{})
	tx.Delete(&knftables.Table{})
	tx.Add(&knftables.Table{Comment: knftables.PtrTo("dualnet lab: LoadBalancer frontends")})
	tx.Add(&knftables.Chain{Name: "prerouting", Type: knftables.PtrTo(knftables.NATType),
		Hook: knftables.PtrTo(knftables.PreroutingHook), Priority: knftables.PtrTo(knftables.DNATPriority)})
	for _, f := range fwds {
		ipv := "ip"
		if f.frontend.Is6() {
			ipv = "ip6"
		}
		chain := chainName("fe", fmt.Sprintf("%s/%s/%d", f.service, f.protocol, f.port))
		tx.Add(&knftables.Chain{Name: chain})
		tx.Add(&knftables.Rule{Chain: "prerouting", Rule: knftables.Concat(
			ipv, "daddr", f.frontend, f.protocol, "dport", f.port, "goto", chain)})
		if len(f.endpoints) == 0 {
			// As Azure's load balancer with no healthy backend: the connection is refused.
			tx.Add(&knftables.Rule{Chain: chain, Rule: knftables.Concat("reject")})
			continue
		}
		var targets []string
		for i, ep := range f.endpoints {
			epChain := chainName("ep", fmt.Sprintf("%s/%s/%d/%s", f.service, f.protocol, f.port, ep))
			tx.Add(&knftables.Chain{Name: epChain})
			tx.Add(&knftables.Rule{Chain: epChain, Rule: knftables.Concat(
				"meta l4proto", f.protocol, "dnat", ipv, "to", ep.String())})
			targets = append(targets, fmt.Sprintf("%d : goto %s", i, epChain))
		}
		tx.Add(&knftables.Rule{Chain: chain, Rule: knftables.Concat(
			"numgen random mod", len(f.endpoints), "vmap", "{", strings.Join(targets, ", "), "}")})
	}
}

// chainName is a short stable name for a chain (nft limits names to 256 bytes, and frontend
// keys hold characters chain names should not).
func chainName(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + "-" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:])[:16])
}
