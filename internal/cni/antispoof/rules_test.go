package antispoof

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/knftables"
)

func TestRulesetIsTheSameHoweverOftenItIsWritten(t *testing.T) {
	fake := knftables.NewFake(knftables.BridgeFamily, Table)
	for range 2 {
		if err := fake.Run(context.Background(), rulesetTransaction()); err != nil {
			t.Fatalf("%v\n%s", err, rulesetTransaction())
		}
	}
	dump := fake.Dump()
	for _, want := range []string{
		`add rule bridge dualnet-antispoof prerouting iifname != "dn*" accept`,
		"add rule bridge dualnet-antispoof prerouting iif != @ports counter drop",
		"add rule bridge dualnet-antispoof prerouting ether type vmap { ip : jump pod-ipv4 , arp : jump pod-arp , ip6 : jump pod-ipv6 }",
		"add rule bridge dualnet-antispoof pod-ipv4 iif . ip saddr @ipv4 accept",
		"add rule bridge dualnet-antispoof pod-arp iif . arp saddr ip @ipv4 accept",
		"add rule bridge dualnet-antispoof pod-ipv6 ip6 saddr != { ::, fe80::/10 } iif . ip6 saddr != @ipv6 counter drop",
		"add rule bridge dualnet-antispoof pod-na iif . @th,64,128 @na-targets accept",
	} {
		if strings.Count(dump, want) != 1 {
			t.Errorf("want exactly one %q in\n%s", want, dump)
		}
	}
}
