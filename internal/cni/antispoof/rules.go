// Package antispoof keeps pods from sending with addresses that are not theirs: every frame
// a pod sends into the bridge must carry one of its own addresses (or, for IPv6, a
// link-local or the unspecified source that neighbour discovery uses), and may claim (ARP
// sender, IPv6 Neighbor Advertisement target) only those, else it is dropped.
//
// The rules live in their own nftables table, `bridge dualnet-antispoof`. The bridge family
// is the one that sees pod-to-pod frames: they are switched by the bridge and never reach
// the inet hooks unless br_netfilter is loaded. Each pod has one chain, pod-<host veth>,
// reached through the verdict map `ports` keyed by the pod's host veth name, so DEL and GC
// remove exactly one pod's rules and leave everybody else's alone.
//
// It must not touch any other table, and it runs nft once per transaction: the plugin is on
// the pod start path and an nft process costs milliseconds.
package antispoof

import (
	"encoding/hex"
	"net/netip"
	"strings"

	"sigs.k8s.io/knftables"
)

// Table is the nftables table (family bridge) that holds every pod's rules.
const Table = "dualnet-antispoof"

const (
	portsMap    = "ports"
	chainPrefix = "pod-"
	baseChain   = "prerouting"
)

// Pod is what the rules of one pod depend on.
type Pod struct {
	// HostVeth is the pod's bridge port (the host end of its veth).
	HostVeth string
	// Addrs are the pod's own addresses.
	Addrs []netip.Addr
	// Owner says whose rules these are (the container ID), as a comment for people.
	Owner string
}

// ChainName is the name of the pod chain of a host veth.
func ChainName(hostVeth string) string { return chainPrefix + hostVeth }

// newTransaction returns an empty transaction on the table. knftables.New runs
// `nft --version` and `nft --check` before it hands out an Interface (about 20 ms measured
// here, more than a whole ADD should take), so the plugin borrows only knftables'
// transaction writer, from the in-memory implementation, and runs `nft -f -` once itself.
func newTransaction() *knftables.Transaction {
	return knftables.NewFake(knftables.BridgeFamily, Table).NewTransaction()
}

// addSkeleton makes sure the table, the ports map and the base chain exist; the base chain
// is flushed and refilled so that it holds exactly its one rule, however often this runs.
func addSkeleton(tx *knftables.Transaction) {
	tx.Add(&knftables.Table{Comment: knftables.PtrTo("dualnet: pods send only from their own addresses")})
	tx.Add(&knftables.Map{Name: portsMap, Type: "ifname : verdict"})
	tx.Add(&knftables.Chain{
		Name:     baseChain,
		Type:     knftables.PtrTo(knftables.FilterType),
		Hook:     knftables.PtrTo(knftables.PreroutingHook),
		Priority: knftables.PtrTo(knftables.FilterPriority),
	})
	tx.Flush(&knftables.Chain{Name: baseChain})
	tx.Add(&knftables.Rule{Chain: baseChain, Rule: "iifname vmap @" + portsMap})
}

// InstallTransaction adds the rules of one pod, assuming the table, the ports map and the
// base chain exist (they do after the first pod of the node). It leaves the base chain
// alone: any change to a base chain, even re-adding it unchanged, and any removal of rules
// costs the kernel an RCU grace period (about 10 ms measured here), while adding a new chain
// with its rules does not.
func InstallTransaction(p Pod) *knftables.Transaction {
	tx := newTransaction()
	addPod(tx, p, false)
	return tx
}

// SetupAndInstallTransaction builds the whole table and then adds the pod's rules, replacing
// any it had: for the first pod of a node, and when InstallTransaction failed.
func SetupAndInstallTransaction(p Pod) *knftables.Transaction {
	tx := newTransaction()
	addSkeleton(tx)
	addPod(tx, p, true)
	return tx
}

func addPod(tx *knftables.Transaction, p Pod, replace bool) {
	chain := ChainName(p.HostVeth)
	tx.Add(&knftables.Chain{Name: chain, Comment: knftables.PtrTo("pod " + p.Owner)})
	if replace {
		tx.Flush(&knftables.Chain{Name: chain})
	}
	for _, r := range podRules(p.Addrs) {
		tx.Add(&knftables.Rule{Chain: chain, Rule: r})
	}
	tx.Add(portElement(p.HostVeth))
}

// RemoveTransaction deletes the rules of one pod, assuming they exist.
func RemoveTransaction(hostVeth string) *knftables.Transaction {
	tx := newTransaction()
	chain := &knftables.Chain{Name: ChainName(hostVeth)}
	tx.Delete(portElement(hostVeth))
	tx.Flush(chain)
	tx.Delete(chain)
	return tx
}

// SetupAndRemoveTransaction deletes the rules of the pods on the given host veths whether
// or not they exist (adding before deleting: nft has no "delete if present" before nft
// 1.0.8's destroy). It builds the whole table first, so that it never leaves a ports map
// without the base chain that uses it.
func SetupAndRemoveTransaction(hostVeths ...string) *knftables.Transaction {
	tx := newTransaction()
	addSkeleton(tx)
	for _, veth := range hostVeths {
		chain := &knftables.Chain{Name: ChainName(veth)}
		tx.Add(chain)
		tx.Add(portElement(veth))
		tx.Delete(portElement(veth))
		tx.Flush(chain)
		tx.Delete(chain)
	}
	return tx
}

func portElement(hostVeth string) *knftables.Element {
	return &knftables.Element{
		Map:   portsMap,
		Key:   []string{`"` + hostVeth + `"`},
		Value: []string{"goto " + ChainName(hostVeth)},
	}
}

// podRules are the drop rules of one pod's chain, in nft syntax. Frames that pass them all
// are accepted by the base chain's policy.
func podRules(addrs []netip.Addr) []string {
	var v4, v6 []string
	var own6 []netip.Addr
	for _, a := range addrs {
		if a.Is4() {
			v4 = append(v4, a.String())
		} else {
			v6 = append(v6, a.String())
			own6 = append(own6, a)
		}
	}
	// Neighbour discovery and MLD send from the link-local address, and from :: before it
	// exists (RFC 4861, RFC 3810); the pod's link-local is derived by its own kernel.
	v6 = append([]string{"::", "fe80::/10"}, v6...)
	rules := []string{
		knftables.Concat("ether type ip6 ip6 saddr !=", set(v6), "counter drop"),
		// The IPv6 twin of the ARP rule below: a Neighbor Advertisement, sent from the pod's
		// own link-local, whose target is another pod's address would steal that pod's
		// traffic. The pod may advertise only its own addresses and link-locals.
		knftables.Concat("ether type ip6 icmpv6 type nd-neighbor-advert", naTarget, "!=", set(naTargets(own6)), "counter drop"),
		// VLAN-tagged or other frames would carry IP past the checks above.
		"ether type != { ip, ip6, arp } counter drop",
	}
	if len(v4) == 0 {
		return append([]string{"ether type { ip, arp } counter drop"}, rules...)
	}
	return append([]string{
		knftables.Concat("ether type ip ip saddr !=", set(v4), "counter drop"),
		// A forged ARP sender would steal another pod's address as surely as a forged IP
		// source. 0.0.0.0 is the sender of ARP probes (RFC 5227), which claim nothing.
		knftables.Concat("ether type arp arp saddr ip !=", set(append([]string{"0.0.0.0"}, v4...)), "counter drop"),
	}, rules...)
}

// naTarget is the Target Address of a Neighbor Advertisement: bytes 8 to 23 of the ICMPv6
// message (RFC 4861 section 4.4). The rule reads it as a raw transport header field because
// the nft of Debian 12 (1.0.6) cannot parse `icmpv6 taddr`; naTargets spells the allowed
// targets as the 128-bit integers such a field compares with.
const naTarget = "@th,64,128"

// naTargets are the allowed targets: every link-local (fe80::/10) and the pod's addresses.
func naTargets(own []netip.Addr) []string {
	out := []string{"0xfe800000000000000000000000000000-0xfebfffffffffffffffffffffffffffff"}
	for _, a := range own {
		b := a.As16()
		out = append(out, "0x"+hex.EncodeToString(b[:]))
	}
	return out
}

func set(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return "{ " + strings.Join(items, ", ") + " }"
}
