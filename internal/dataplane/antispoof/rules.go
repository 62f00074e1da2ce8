package antispoof

import (
	"github.com/dualnet/dualnet/internal/cnicontract"
)

// Table is the nftables table (family bridge) that holds the rules.
const Table = "dualnet-antispoof"

// The sets, keyed by the host veth's interface index: the registered ports (the
// registrations' own record: no rule reads it, since a port without elements matches no
// other set and so sends nothing), the pod's MAC on each, the pod's MAC and each address it
// may send from (its IPv6 link-local address among them) in one key, so that a frame is
// checked with one lookup, and the IPv6 addresses each may claim in a Neighbor Advertisement
// (typed as the raw field the NA rule reads; see naTarget).
const (
	portsSet     = "ports"
	macsSet      = "macs"
	ipv4Set      = "ipv4"
	ipv6Set      = "ipv6"
	naTargetsSet = "na-targets"
)

// allSets is every set of the table.
var allSets = []string{portsSet, macsSet, ipv4Set, ipv6Set, naTargetsSet}

// The chains: the base chain, which accepts a pod's ordinary packets with one lookup, and a
// chain per protocol for the rest (ARP, ICMPv6, and what the base chain refused, counted by
// why); inputChain, for what the bridge hands to the node without prerouting. (And empty
// chains that name the boot and the network namespace the table was written in: boot.go.)
const (
	baseChain  = "prerouting"
	inputChain = "input"
	ipv4Chain  = "pod-ipv4"
	arpChain   = "pod-arp"
	ipv6Chain  = "pod-ipv6"
	naChain    = "pod-na"
	macChain   = "pod-mac"
)

// naTarget is the Target Address of a Neighbor Advertisement: bytes 8 to 23 of the ICMPv6
// message (RFC 4861 section 4.4). The rules read it as a raw transport header field because
// the nft of Debian 12 (1.0.6) cannot parse `icmpv6 taddr`.
const naTarget = "@th,64,128"

// rulesetTransaction writes the whole table: the sets are added (their elements kept) and
// every chain is flushed and refilled, so running it again, even while pods are being
// added, leaves exactly these rules and every pod's elements.
func rulesetTransaction() *script {
	s := &script{}
	addRuleset(s)
	return s
}

// chainRules is every chain's rules, in order.
func chainRules() map[string][]string {
	// A frame whose source MAC is not its port's pod's goes to macChain, so its counter
	// tells a forged MAC from a forged address.
	wrongMAC := "iif . ether saddr != @" + macsSet + " goto " + macChain
	return map[string][]string{
		baseChain: {
			// Nearly every frame a pod sends, in one lookup: IPv4, and IPv6 other than
			// ICMPv6, from the port's pod's MAC and one of its addresses. A port without
			// elements (ADD has not finished, or DEL has run) matches nothing here or below:
			// it fails closed. The explicit ether type keeps VLAN-tagged frames out. ICMPv6
			// is protocol 58 by number: the agent's image has no /etc/protocols for nft to
			// read the name from.
			"ether type ip iif . ether saddr . ip saddr @" + ipv4Set + " accept",
			"ether type ip6 meta l4proto != 58 iif . ether saddr . ip6 saddr @" + ipv6Set + " accept",
			// Frames of ports that are not dualnet's, on this bridge or another, pass. The
			// rules above only accept, so testing the name after them rather than first
			// accepts the same frames, and spares a pod's frames the copy of the name nft
			// makes for the test; another port's frames pay the two lookups instead.
			`iifname != "` + cnicontract.PortPrefix + `*" accept`,
			"ether type vmap { ip : jump " + ipv4Chain + ", arp : jump " + arpChain + ", ip6 : jump " + ipv6Chain + " }",
			// VLAN-tagged or other frames would carry IP past the checks.
			"counter drop",
		},
		ipv4Chain: {
			// Only what the base chain refused comes here.
			wrongMAC,
			"counter drop",
		},
		arpChain: {
			// A forged sender would steal another pod's address as surely as a forged IP
			// source.
			"iif . ether saddr . arp saddr ip @" + ipv4Set + " accept",
			// 0.0.0.0 is the sender of ARP probes (RFC 5227), which claim nothing.
			"arp saddr ip 0.0.0.0 iif . ether saddr @" + macsSet + " accept",
			wrongMAC,
			"counter drop",
		},
		ipv6Chain: {
			"icmpv6 type { nd-router-advert, nd-redirect } counter drop",
			"icmpv6 type nd-neighbor-advert jump " + naChain,
			// Neighbour discovery and MLD send from the link-local address, and from :: before
			// it exists (RFC 4861, RFC 3810). The pod's link-local address is in its set
			// (LinkLocal), so it cannot send from another pod's.
			"iif . ether saddr . ip6 saddr @" + ipv6Set + " accept",
			"ip6 saddr :: iif . ether saddr @" + macsSet + " accept",
			wrongMAC,
			"counter drop",
		},
		inputChain: {
			// A frame to a reserved link-local group (01:80:c2:00:00:0X: STP, LACP, 802.1X,
			// LLDP...) skips prerouting: the bridge hands it to the node through this hook,
			// learning its source MAC as it does, and the node's stack takes it as received
			// on the port. A pod has no business sending one; with the bridge's
			// group_fwd_mask forwarding :03 to :0f (dataplane/bridge), the rest come here.
			`ether daddr & ff:ff:ff:ff:ff:f0 == 01:80:c2:00:00:00 iifname "` + cnicontract.PortPrefix + `*" counter drop`,
		},
		naChain: {
			// The IPv6 twin of the ARP rule: an advertisement whose target is another pod's
			// address would steal that pod's traffic. A right target returns to the source
			// check.
			"iif . " + naTarget + " @" + naTargetsSet + " return",
			"counter drop",
		},
		macChain: {
			"counter drop",
		},
	}
}

// addRuleset adds the table, its sets and its chains, each chain flushed and refilled.
func addRuleset(s *script) {
	s.addTable("dualnet: pods send only from their own addresses")
	s.addSet(portsSet, "type iface_index", "host veths of pods")
	s.addSet(macsSet, "type iface_index . ether_addr", "MAC address of the pod on each port")
	s.addSet(ipv4Set, "type iface_index . ether_addr . ipv4_addr", "MAC and IPv4 addresses of the pod on each port")
	s.addSet(ipv6Set, "type iface_index . ether_addr . ipv6_addr", "MAC and IPv6 addresses of the pod on each port")
	s.addSet(naTargetsSet, "typeof iif . "+naTarget, "the same, as Neighbor Advertisement targets")
	for _, boot := range bootChains() {
		s.addChain(boot, "") // boot.go
	}
	chains := chainRules()
	// Jump targets first: a rule may only jump to a chain that exists.
	hooks := map[string]string{baseChain: "prerouting", inputChain: "input"}
	for _, name := range []string{macChain, ipv4Chain, arpChain, naChain, ipv6Chain, baseChain, inputChain} {
		s.addChain(name, hooks[name])
		for _, r := range chains[name] {
			s.addRule(name, r)
		}
	}
}
