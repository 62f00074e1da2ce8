package antispoof

import (
	"sigs.k8s.io/knftables"

	"github.com/dualnet/dualnet/internal/cnicontract"
)

// Table is the nftables table (family bridge) that holds the rules.
const Table = "dualnet-antispoof"

// The sets, keyed by the host veth's interface index: the registered ports, the addresses
// each may send from (its IPv6 link-local address among them), and the IPv6 addresses each
// may claim in a Neighbor Advertisement (the same again, typed as the raw field the NA rule
// reads; see naTarget).
const (
	portsSet     = "ports"
	macsSet      = "macs"
	ipv4Set      = "ipv4"
	ipv6Set      = "ipv6"
	naTargetsSet = "na-targets"
)

// allSets is every set of the table.
var allSets = []string{portsSet, macsSet, ipv4Set, ipv6Set, naTargetsSet}

// The chains: the base chain and one chain per protocol, so a frame meets only its own
// family's rules; and inputChain, for what the bridge hands to the node without prerouting.
const (
	baseChain  = "prerouting"
	inputChain = "input"
	ipv4Chain  = "pod-ipv4"
	arpChain   = "pod-arp"
	ipv6Chain  = "pod-ipv6"
	naChain    = "pod-na"
)

// naTarget is the Target Address of a Neighbor Advertisement: bytes 8 to 23 of the ICMPv6
// message (RFC 4861 section 4.4). The rules read it as a raw transport header field because
// the nft of Debian 12 (1.0.6) cannot parse `icmpv6 taddr`.
const naTarget = "@th,64,128"

// rulesetTransaction writes the whole table: the sets are added (their elements kept) and
// every chain is flushed and refilled, so running it again, even while pods are being
// added, leaves exactly these rules and every pod's elements.
func rulesetTransaction() *knftables.Transaction {
	tx := newTransaction()
	addRuleset(tx)
	return tx
}

// newTransaction is an empty transaction on the table, from knftables' in-memory
// implementation: the plugin borrows only its transaction writer (see Run).
func newTransaction() *knftables.Transaction {
	return knftables.NewFake(knftables.BridgeFamily, Table).NewTransaction()
}

// chainRules is every chain's rules, in order.
func chainRules() map[string][]string {
	return map[string][]string{
		baseChain: {
			knftables.Concat("iifname !=", `"`+cnicontract.PortPrefix+`*"`, "accept"),
			// Fail closed: a port without elements (ADD has not finished, or DEL has run)
			// sends nothing.
			knftables.Concat("iif != @"+portsSet, "counter drop"),
			knftables.Concat("iif . ether saddr != @"+macsSet, "counter drop"),
			knftables.Concat("ether type vmap { ip : jump", ipv4Chain, ", arp : jump", arpChain, ", ip6 : jump", ipv6Chain, "}"),
			// VLAN-tagged or other frames would carry IP past the checks.
			"counter drop",
		},
		ipv4Chain: {
			"iif . ip saddr @" + ipv4Set + " accept",
			"counter drop",
		},
		arpChain: {
			// 0.0.0.0 is the sender of ARP probes (RFC 5227), which claim nothing. A forged
			// sender would steal another pod's address as surely as a forged IP source.
			"arp saddr ip 0.0.0.0 accept",
			"iif . arp saddr ip @" + ipv4Set + " accept",
			"counter drop",
		},
		ipv6Chain: {
			"icmpv6 type { nd-router-advert, nd-redirect } counter drop",
			// Neighbour discovery and MLD send from the link-local address, and from :: before
			// it exists (RFC 4861, RFC 3810). The pod's link-local address is in its set
			// (LinkLocal), so it cannot send from another pod's.
			"ip6 saddr != :: iif . ip6 saddr != @" + ipv6Set + " counter drop",
			"icmpv6 type nd-neighbor-advert jump " + naChain,
			"accept",
		},
		inputChain: {
			// A frame to a reserved link-local group (01:80:c2:00:00:0X: STP, LACP, 802.1X,
			// LLDP...) skips prerouting: the bridge hands it to the node through this hook,
			// learning its source MAC as it does, and the node's stack takes it as received
			// on the port. A pod has no business sending one; with the bridge's
			// group_fwd_mask forwarding :03 to :0f (dataplane/bridge), the rest come here.
			knftables.Concat("ether daddr & ff:ff:ff:ff:ff:f0 == 01:80:c2:00:00:00 iifname", `"`+cnicontract.PortPrefix+`*"`, "counter drop"),
		},
		naChain: {
			// The IPv6 twin of the ARP rule: an advertisement whose target is another pod's
			// address would steal that pod's traffic.
			"iif . " + naTarget + " @" + naTargetsSet + " accept",
			"counter drop",
		},
	}
}

// addRuleset adds the table, its sets and its chains, each chain flushed and refilled.
func addRuleset(tx *knftables.Transaction) {
	tx.Add(&knftables.Table{Comment: knftables.PtrTo("dualnet: pods send only from their own addresses")})
	// Flag timeout: elements are added without one (they live as long as the pod), and DEL
	// gives them one to retire them.
	timeout := []knftables.SetFlag{knftables.TimeoutFlag}
	tx.Add(&knftables.Set{Name: portsSet, Type: "iface_index", Flags: timeout, Comment: knftables.PtrTo("host veths of pods")})
	tx.Add(&knftables.Set{Name: macsSet, Type: "iface_index . ether_addr", Flags: timeout, Comment: knftables.PtrTo("MAC address of the pod on each port")})
	tx.Add(&knftables.Set{Name: ipv4Set, Type: "iface_index . ipv4_addr", Flags: timeout, Comment: knftables.PtrTo("IPv4 addresses of the pod on each port")})
	tx.Add(&knftables.Set{Name: ipv6Set, Type: "iface_index . ipv6_addr", Flags: timeout, Comment: knftables.PtrTo("IPv6 addresses of the pod on each port")})
	tx.Add(&knftables.Set{Name: naTargetsSet, TypeOf: "iif . " + naTarget, Flags: timeout, Comment: knftables.PtrTo("the same, as Neighbor Advertisement targets")})
	chains := chainRules()
	// Jump targets first: a rule may only jump to a chain that exists.
	hooks := map[string]knftables.BaseChainHook{baseChain: knftables.PreroutingHook, inputChain: knftables.InputHook}
	for _, name := range []string{ipv4Chain, arpChain, naChain, ipv6Chain, baseChain, inputChain} {
		chain := &knftables.Chain{Name: name}
		if hook, ok := hooks[name]; ok {
			chain.Type = knftables.PtrTo(knftables.FilterType)
			chain.Hook = knftables.PtrTo(hook)
			chain.Priority = knftables.PtrTo(knftables.FilterPriority)
		}
		tx.Add(chain)
		tx.Flush(chain)
		for _, r := range chains[name] {
			tx.Add(&knftables.Rule{Chain: name, Rule: r})
		}
	}
}
