package masquerade

import (
	"context"
	"net/netip"
	"testing"

	"sigs.k8s.io/knftables"

	"github.com/dualnet/dualnet/internal/testutil/golden"
)

func dualStackConfig() Config {
	return Config{
		ClusterPodCIDRs: []netip.Prefix{
			netip.MustParsePrefix("10.244.0.0/16"),
			netip.MustParsePrefix("fd12:3456:789a::/64"),
		},
		NonMasqueradeCIDRs: []netip.Prefix{
			netip.MustParsePrefix("169.254.0.0/16"),
			netip.MustParsePrefix("fd00:aa::/48"),
		},
		NodeIPs: []netip.Addr{netip.MustParseAddr("192.168.10.4"), netip.MustParseAddr("fd00:10::4")},
	}
}

func TestSyncWritesOneSNATRulePerFamilyToTheNodeIP(t *testing.T) {
	fake := knftables.NewFake(knftables.InetFamily, TableName)
	changed, err := New(fake).Sync(context.Background(), dualStackConfig())
	if err != nil || !changed {
		t.Fatalf("Sync = %v, %v; want changed, nil", changed, err)
	}
	golden.Compare(t, "dual-stack.nft", fake.Dump())
}

func TestSyncTwiceChangesNothing(t *testing.T) {
	fake := knftables.NewFake(knftables.InetFamily, TableName)
	m := New(fake)
	if _, err := m.Sync(context.Background(), dualStackConfig()); err != nil {
		t.Fatal(err)
	}
	before := fake.Dump()
	changed, err := m.Sync(context.Background(), dualStackConfig())
	if err != nil || changed {
		t.Fatalf("second Sync = %v, %v; want unchanged, nil", changed, err)
	}
	if after := fake.Dump(); after != before {
		t.Errorf("second Sync changed the table:\n%s", after)
	}
}

func TestSyncFollowsANewNodeIPAndDropsOffClusterEgressOfAFamilyWithoutOne(t *testing.T) {
	fake := knftables.NewFake(knftables.InetFamily, TableName)
	m := New(fake)
	if _, err := m.Sync(context.Background(), dualStackConfig()); err != nil {
		t.Fatal(err)
	}
	c := dualStackConfig()
	c.NodeIPs = []netip.Addr{netip.MustParseAddr("192.168.10.5")}
	changed, err := m.Sync(context.Background(), c)
	if err != nil || !changed {
		t.Fatalf("Sync = %v, %v; want changed, nil", changed, err)
	}
	golden.Compare(t, "ipv4-new-node-ip.nft", fake.Dump())
}

func TestSyncRepairsAFlushedChain(t *testing.T) {
	fake := knftables.NewFake(knftables.InetFamily, TableName)
	m := New(fake)
	if _, err := m.Sync(context.Background(), dualStackConfig()); err != nil {
		t.Fatal(err)
	}
	want := fake.Dump()
	tx := fake.NewTransaction()
	tx.Flush(&knftables.Chain{Name: chainName})
	tx.Flush(&knftables.Set{Name: ipv6.podSet()})
	if err := fake.Run(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	changed, err := m.Sync(context.Background(), dualStackConfig())
	if err != nil || !changed {
		t.Fatalf("Sync = %v, %v; want changed, nil", changed, err)
	}
	if got := fake.Dump(); got != want {
		t.Errorf("repaired table differs:\n--- got\n%s\n--- want\n%s", got, want)
	}
}

func TestSyncCollapsesOverlappingCIDRs(t *testing.T) {
	c := dualStackConfig()
	c.NonMasqueradeCIDRs = append(c.NonMasqueradeCIDRs, netip.MustParsePrefix("169.254.3.0/24"), netip.MustParsePrefix("169.254.0.0/16"))
	fake := knftables.NewFake(knftables.InetFamily, TableName)
	if _, err := New(fake).Sync(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	golden.Compare(t, "dual-stack.nft", fake.Dump())
}

func TestValidateRejectsTwoNodeIPsOfOneFamily(t *testing.T) {
	c := dualStackConfig()
	c.NodeIPs = append(c.NodeIPs, netip.MustParseAddr("192.168.10.9"))
	if _, err := New(knftables.NewFake(knftables.InetFamily, TableName)).Sync(context.Background(), c); err == nil {
		t.Fatal("Sync accepted two IPv4 node IPs")
	}
}

func TestCleanupRemovesTheTable(t *testing.T) {
	fake := knftables.NewFake(knftables.InetFamily, TableName)
	m := New(fake)
	if _, err := m.Sync(context.Background(), dualStackConfig()); err != nil {
		t.Fatal(err)
	}
	if err := m.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := fake.Dump(); got != "" {
		t.Errorf("table left after cleanup:\n%s", got)
	}
	if err := m.Cleanup(context.Background()); err != nil {
		t.Errorf("second cleanup: %v", err)
	}
}

func TestSyncDropsNothingOfAFamilyTheClusterDoesNotHave(t *testing.T) {
	c := Config{
		ClusterPodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")},
		NodeIPs:         []netip.Addr{netip.MustParseAddr("192.168.10.4")},
	}
	fake := knftables.NewFake(knftables.InetFamily, TableName)
	if _, err := New(fake).Sync(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	golden.Compare(t, "ipv4-single-stack.nft", fake.Dump())
}
