package masquerade

import (
	"context"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

func TestSyncInANamespaceIsIdempotentAgainstTheRealKernel(t *testing.T) {
	name, ns := dptest.NewNamespace(t, "masq")
	m, err := NewIn(ns)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if changed, err := m.Sync(ctx, dualStackConfig()); err != nil || !changed {
		t.Fatalf("first Sync = %v, %v; want changed, nil", changed, err)
	}
	listing := dptest.InNS(t, name, "nft", "list", "table", "inet", TableName)
	for _, want := range []string{"snat ip to 192.168.10.4", "snat ip6 to fd00:10::4", "10.244.0.0/16"} {
		if !strings.Contains(listing, want) {
			t.Errorf("nft list table lacks %q:\n%s", want, listing)
		}
	}
	if changed, err := m.Sync(ctx, dualStackConfig()); err != nil || changed {
		t.Fatalf("second Sync = %v, %v; want unchanged, nil\n%s", changed, err, listing)
	}
	dptest.InNS(t, name, "nft", "flush", "table", "inet", TableName)
	if changed, err := m.Sync(ctx, dualStackConfig()); err != nil || !changed {
		t.Fatalf("Sync after flush = %v, %v; want changed, nil", changed, err)
	}
	if again := dptest.InNS(t, name, "nft", "list", "table", "inet", TableName); again != listing {
		t.Errorf("repaired table differs:\n%s\nwant\n%s", again, listing)
	}
	if err := m.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if out := dptest.InNS(t, name, "nft", "list", "tables"); strings.Contains(out, TableName) {
		t.Errorf("table left after cleanup: %s", out)
	}
}

func TestSyncDropsAndCountsOffClusterEgressOfAFamilyWithoutNodeIPInTheRealKernel(t *testing.T) {
	name, ns := dptest.NewNamespace(t, "masq6")
	m, err := NewIn(ns)
	if err != nil {
		t.Fatal(err)
	}
	c := dualStackConfig()
	c.NodeIPs = c.NodeIPs[:1] // IPv4 only
	ctx := context.Background()
	if changed, err := m.Sync(ctx, c); err != nil || !changed {
		t.Fatalf("first Sync = %v, %v; want changed, nil", changed, err)
	}
	listing := dptest.InNS(t, name, "nft", "list", "table", "inet", TableName)
	for _, want := range []string{
		"snat ip to 192.168.10.4",
		"ip6 saddr @cluster-pod-cidrs-v6 ip6 daddr != @cluster-pod-cidrs-v6 ip6 daddr != @no-masquerade-cidrs-v6 ct state new counter packets 0 bytes 0 drop",
		"the node has no IPv6 InternalIP",
	} {
		if !strings.Contains(listing, want) {
			t.Errorf("nft list table lacks %q:\n%s", want, listing)
		}
	}
	if strings.Contains(listing, "snat ip6") {
		t.Errorf("IPv6 SNAT rule without an IPv6 node IP:\n%s", listing)
	}
	if changed, err := m.Sync(ctx, c); err != nil || changed {
		t.Fatalf("second Sync = %v, %v; want unchanged, nil\n%s", changed, err, listing)
	}
	if changed, err := m.Sync(ctx, dualStackConfig()); err != nil || !changed {
		t.Fatalf("Sync once the IPv6 node IP is known = %v, %v; want changed, nil", changed, err)
	}
	if after := dptest.InNS(t, name, "nft", "list", "table", "inet", TableName); strings.Contains(after, "drop") || !strings.Contains(after, "snat ip6 to fd00:10::4") {
		t.Errorf("with both node IPs the table should SNAT both families and drop nothing:\n%s", after)
	}
}
