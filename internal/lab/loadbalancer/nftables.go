package loadbalancer

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/knftables"
)

// Table is the load balancer's nftables table in the vnet namespace.
const Table = "dualnet-lab-lb"

// A flow's backend is kept in its conntrack mark, markBase plus the backend node's slot, and
// copied to the packet mark, which policy routing turns into that node as next hop
// (routing.go). The mark's high half says "load balancer" ("LB"), so nothing else's marks
// are taken for one.
const (
	markBase uint32 = 0x4c420000
	markMask uint32 = 0xffff0000
)

func markOf(slot uint32) uint32 { return markBase | slot }

// hashSeed makes the 5-tuple hash the load balancer's own, as every Azure load balancer's is.
const hashSeed = 0x6c616221

// slots gives each backend node a number that stays its own while the node is in a pool, so
// a flow's mark keeps naming the same node whatever else joins or leaves.
type slots map[string]uint32

// assign keeps the slots of the nodes still there, drops the others' and gives new nodes the
// lowest free ones.
func (s slots) assign(nodes []string) {
	keep := map[string]bool{}
	for _, n := range nodes {
		keep[n] = true
	}
	used := map[uint32]bool{}
	for n, slot := range s {
		if !keep[n] {
			delete(s, n)
			continue
		}
		used[slot] = true
	}
	next := uint32(1)
	for _, n := range nodes {
		if _, ok := s[n]; ok {
			continue
		}
		for used[next] {
			next++
		}
		s[n], used[next] = next, true
	}
}

// healthyFunc says whether a backend takes a rule's new flows.
type healthyFunc func(Rule, Backend) bool

// transaction rebuilds the whole table: a prerouting chain that marks each new flow to a
// frontend port with one of its healthy backends (or drops it), and copies a flow's mark to
// its packets, and a DNAT chain for the rules without floating IP.
func transaction(tx *knftables.Transaction, frontends []Frontend, pools map[corev1.IPFamily][]Backend, sl slots, healthy healthyFunc) {
	tx.Add(&knftables.Table{})
	tx.Delete(&knftables.Table{})
	tx.Add(&knftables.Table{Comment: knftables.PtrTo("dualnet lab: Azure Standard Load Balancer frontends")})
	tx.Add(&knftables.Chain{Name: "pick-backend", Type: knftables.PtrTo(knftables.FilterType),
		Hook: knftables.PtrTo(knftables.PreroutingHook), Priority: knftables.PtrTo(knftables.ManglePriority)})
	tx.Add(&knftables.Chain{Name: "floating-ip-disabled", Type: knftables.PtrTo(knftables.NATType),
		Hook: knftables.PtrTo(knftables.PreroutingHook), Priority: knftables.PtrTo(knftables.DNATPriority)})
	for _, fe := range frontends {
		ipv := "ip"
		if fe.IP.Is6() {
			ipv = "ip6"
		}
		pool := pools[familyOf(fe.IP)]
		for _, r := range fe.Rules {
			match := knftables.Concat(ipv, "daddr", fe.IP, strings.ToLower(string(r.Protocol)), "dport", r.Port)
			desc := fe.Service + " " + r.String()
			var picks []string
			for _, b := range pool {
				if healthy(r, b) {
					picks = append(picks, fmt.Sprintf("%d : %#x", len(picks), markOf(sl[b.Node])))
				}
			}
			if len(picks) == 0 {
				tx.Add(&knftables.Rule{Chain: "pick-backend", Rule: knftables.Concat(match, "ct state new drop"),
					Comment: comment(desc + ": no healthy backend")})
			} else {
				hashed := knftables.Concat(ipv, "saddr . th sport .", ipv, "daddr . th dport . meta l4proto")
				if r.SourceIPAffinity {
					hashed = knftables.Concat(ipv, "saddr .", ipv, "daddr")
				}
				tx.Add(&knftables.Rule{Chain: "pick-backend", Comment: comment(desc), Rule: knftables.Concat(
					match, "ct state new ct mark set jhash", hashed, "mod", len(picks), "seed", fmt.Sprintf("%#x", hashSeed),
					"map {", strings.Join(picks, ", "), "}")})
			}
			if r.FloatingIP || len(pool) == 0 {
				continue
			}
			var to []string
			for _, b := range pool {
				to = append(to, fmt.Sprintf("%#x : %s . %d", markOf(sl[b.Node]), b.IP, r.NodePort))
			}
			tx.Add(&knftables.Rule{Chain: "floating-ip-disabled", Comment: comment(desc), Rule: knftables.Concat(
				match, "dnat", ipv, "to ct mark map {", strings.Join(to, ", "), "}")})
		}
	}
	// Only the flow's original direction: replies go back to the client by the main table.
	tx.Add(&knftables.Rule{Chain: "pick-backend", Rule: knftables.Concat(
		"ct direction original ct mark and", fmt.Sprintf("%#x", markMask), "==", fmt.Sprintf("%#x", markBase),
		"meta mark set ct mark")})
}

// comment fits nft's 128-byte limit on comments.
func comment(s string) *string {
	if len(s) > 128 {
		s = s[:128]
	}
	return &s
}

func sortedNodes(pools map[corev1.IPFamily][]Backend) []string {
	var out []string
	for _, pool := range pools {
		for _, b := range pool {
			if !slices.Contains(out, b.Node) {
				out = append(out, b.Node)
			}
		}
	}
	slices.Sort(out)
	return out
}
