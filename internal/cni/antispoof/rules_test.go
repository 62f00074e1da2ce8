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
	if err := fake.Run(context.Background(), InstallTransaction(pod("dna", "10.244.1.2"))); err == nil {
		t.Fatal("InstallTransaction succeeded without the table; Install would never set it up")
	}
	run(t, fake, SetupAndInstallTransaction(pod("dna", "10.244.1.2", "fd12:3456:789a:0:1::2")))
	run(t, fake, SetupAndInstallTransaction(pod("dna", "10.244.1.2", "fd12:3456:789a:0:1::2"))) // ADD retried
	run(t, fake, InstallTransaction(pod("dnb", "10.244.1.3")))
	dump := fake.Dump()
	for _, want := range []string{
		`add element bridge dualnet-antispoof ports { "dna" : goto pod-dna }`,
		"add rule bridge dualnet-antispoof pod-dna ether type ip ip saddr != 10.244.1.2 counter drop",
		"add rule bridge dualnet-antispoof pod-dna ether type arp arp saddr ip != { 0.0.0.0, 10.244.1.2 } counter drop",
		"add rule bridge dualnet-antispoof pod-dna ether type ip6 ip6 saddr != { ::, fe80::/10, fd12:3456:789a:0:1::2 } counter drop",
		"add rule bridge dualnet-antispoof pod-dna ether type ip6 icmpv6 type nd-neighbor-advert @th,64,128 != " +
			"{ 0xfe800000000000000000000000000000-0xfebfffffffffffffffffffffffffffff, 0xfd123456789a00000001000000000002 } counter drop",
		"add rule bridge dualnet-antispoof prerouting iifname vmap @ports",
	} {
		if strings.Count(dump, want) != 1 {
			t.Errorf("want exactly one %q in\n%s", want, dump)
		}
	}
}

func TestNeighborAdvertisementsMayTargetOnlyThePodsOwnAddressesAndLinkLocals(t *testing.T) {
	rules := strings.Join(podRules([]netip.Addr{netip.MustParseAddr("10.244.1.2")}), "\n")
	// An IPv4-only pod may still advertise its link-local, nothing else.
	want := "ether type ip6 icmpv6 type nd-neighbor-advert @th,64,128 != 0xfe800000000000000000000000000000-0xfebfffffffffffffffffffffffffffff counter drop"
	if !strings.Contains(rules, want) {
		t.Errorf("want %q in\n%s", want, rules)
	}
}

func TestSingleStackPodMaySendNoIPv4WithoutAnAddress(t *testing.T) {
	rules := strings.Join(podRules([]netip.Addr{netip.MustParseAddr("fd00::2")}), "\n")
	if !strings.Contains(rules, "ether type { ip, arp } counter drop") {
		t.Errorf("an IPv6-only pod may send IPv4:\n%s", rules)
	}
}

func TestRemoveTransactionsRemoveOnlyThatPodAndAreIdempotent(t *testing.T) {
	fake := knftables.NewFake(knftables.BridgeFamily, Table)
	run(t, fake, SetupAndRemoveTransaction("dna")) // DEL before anything exists
	run(t, fake, SetupAndInstallTransaction(pod("dna", "10.244.1.2")))
	run(t, fake, InstallTransaction(pod("dnb", "10.244.1.3")))
	run(t, fake, RemoveTransaction("dna"))
	if err := fake.Run(context.Background(), RemoveTransaction("dna")); err == nil {
		t.Error("RemoveTransaction of absent rules succeeded; Remove relies on it failing")
	}
	run(t, fake, SetupAndRemoveTransaction("dna"))
	dump := fake.Dump()
	if strings.Contains(dump, "pod-dna") || strings.Contains(dump, `"dna"`) {
		t.Errorf("pod dna's rules survived DEL:\n%s", dump)
	}
	if !strings.Contains(dump, `"dnb" : goto pod-dnb`) || !strings.Contains(dump, "10.244.1.3") {
		t.Errorf("pod dnb's rules went away with dna's:\n%s", dump)
	}
}
