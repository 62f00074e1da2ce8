package antispoof

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"sigs.k8s.io/knftables"
)

func pod(veth string, addrs ...string) Pod {
	p := Pod{HostVeth: veth, Owner: "cid-" + veth}
	for _, a := range addrs {
		p.Addrs = append(p.Addrs, netip.MustParseAddr(a))
	}
	return p
}

func run(t *testing.T, fake *knftables.Fake, tx *knftables.Transaction) {
	t.Helper()
	if err := fake.Run(context.Background(), tx); err != nil {
		t.Fatalf("%v\n%s", err, tx)
	}
}

func TestAddTransactionAllowsOnlyThePodsAddresses(t *testing.T) {
	fake := knftables.NewFake(knftables.BridgeFamily, Table)
	run(t, fake, AddTransaction(pod("dna", "10.244.1.2", "fd12:3456:789a:0:1::2")))
	run(t, fake, AddTransaction(pod("dna", "10.244.1.2", "fd12:3456:789a:0:1::2"))) // ADD retried
	dump := fake.Dump()
	for _, want := range []string{
		`add element bridge dualnet-antispoof ports { "dna" : goto pod-dna }`,
		"add rule bridge dualnet-antispoof pod-dna ether type ip ip saddr != 10.244.1.2 counter drop",
		"add rule bridge dualnet-antispoof pod-dna ether type arp arp saddr ip != 10.244.1.2 counter drop",
		"add rule bridge dualnet-antispoof pod-dna ether type ip6 ip6 saddr != { ::, fe80::/10, fd12:3456:789a:0:1::2 } counter drop",
		"add rule bridge dualnet-antispoof prerouting iifname vmap @ports",
	} {
		if strings.Count(dump, want) != 1 {
			t.Errorf("want exactly one %q in\n%s", want, dump)
		}
	}
}

func TestSingleStackPodMaySendNoIPv4WithoutAnAddress(t *testing.T) {
	rules := strings.Join(podRules([]netip.Addr{netip.MustParseAddr("fd00::2")}), "\n")
	if !strings.Contains(rules, "ether type { ip, arp } counter drop") {
		t.Errorf("an IPv6-only pod may send IPv4:\n%s", rules)
	}
}

func TestDeleteTransactionRemovesOnlyThatPodAndIsIdempotent(t *testing.T) {
	fake := knftables.NewFake(knftables.BridgeFamily, Table)
	run(t, fake, DeleteTransaction("dna")) // DEL before anything exists
	run(t, fake, AddTransaction(pod("dna", "10.244.1.2")))
	run(t, fake, AddTransaction(pod("dnb", "10.244.1.3")))
	run(t, fake, DeleteTransaction("dna"))
	run(t, fake, DeleteTransaction("dna"))
	dump := fake.Dump()
	if strings.Contains(dump, "pod-dna") || strings.Contains(dump, `"dna"`) {
		t.Errorf("pod dna's rules survived DEL:\n%s", dump)
	}
	if !strings.Contains(dump, `"dnb" : goto pod-dnb`) || !strings.Contains(dump, "10.244.1.3") {
		t.Errorf("pod dnb's rules went away with dna's:\n%s", dump)
	}
}
