package hostroutes

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

// twoNodesOnALink makes namespaces a and b joined by a veth pair, a with 192.168.77.1/24 and
// fd00:77::1/64, b with .2 / ::2, and returns a's name and a netlink handle in it.
func twoNodesOnALink(t *testing.T) string {
	a, _ := dptest.NewNamespace(t, "rta")
	b, _ := dptest.NewNamespace(t, "rtb")
	dptest.Run(t, "ip", "-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b)
	for i, ns := range []string{a, b} {
		n := []string{"1", "2"}[i]
		dptest.Run(t, "ip", "-n", ns, "addr", "add", "192.168.77."+n+"/24", "dev", "eth0")
		dptest.Run(t, "ip", "-n", ns, "addr", "add", "fd00:77::"+n+"/64", "dev", "eth0", "nodad")
		dptest.Run(t, "ip", "-n", ns, "link", "set", "eth0", "up")
	}
	return a
}

func routeTable(t *testing.T, ns string) string {
	return dptest.Run(t, "ip", "-n", ns, "route", "show", "proto", "211") +
		dptest.Run(t, "ip", "-n", ns, "-6", "route", "show", "proto", "211")
}

func TestSyncInstallsReplacesRepairsAndRemovesRoutes(t *testing.T) {
	a := twoNodesOnALink(t)
	h, err := dptest.Netlink(t, a)
	if err != nil {
		t.Fatal(err)
	}
	peer := Peer{Node: "b",
		PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24"), netip.MustParsePrefix("fd12:3456:789a:0:1::/80")},
		IPs:      []netip.Addr{netip.MustParseAddr("192.168.77.2"), netip.MustParseAddr("fd00:77::2")}}
	res, err := Sync(h, Desired([]Peer{peer}))
	if err != nil || len(res.Added) != 2 {
		t.Fatalf("Sync = %+v, %v; want 2 added", res, err)
	}
	table := routeTable(t, a)
	for _, want := range []string{"10.244.1.0/24 via 192.168.77.2 dev eth0", "fd12:3456:789a:0:1::/80 via fd00:77::2 dev eth0"} {
		if !strings.Contains(table, want) {
			t.Errorf("routes lack %q:\n%s", want, table)
		}
	}
	if res, err := Sync(h, Desired([]Peer{peer})); err != nil || res.Changed() {
		t.Errorf("second Sync = %+v, %v; want no change", res, err)
	}
	dptest.Run(t, "ip", "-n", a, "route", "del", "10.244.1.0/24")
	if res, err := Sync(h, Desired([]Peer{peer})); err != nil || !slices.Equal(res.Added, []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24")}) {
		t.Errorf("Sync after manual delete = %+v, %v; want the route added back", res, err)
	}
	if got := routeTable(t, a); got != table {
		t.Errorf("repaired routes differ:\n%s\nwant\n%s", got, table)
	}
	peer.IPs[0] = netip.MustParseAddr("192.168.77.3")
	if res, err := Sync(h, Desired([]Peer{peer})); err != nil || len(res.Replaced) != 1 {
		t.Errorf("Sync with a new node IP = %+v, %v; want 1 replaced", res, err)
	}
	if res, err := Sync(h, nil); err != nil || len(res.Removed) != 2 {
		t.Errorf("Sync without peers = %+v, %v; want 2 removed", res, err)
	}
	if got := routeTable(t, a); got != "" {
		t.Errorf("routes left:\n%s", got)
	}
}

func TestSyncReportsAnOffLinkNodeInsteadOfRoutingIt(t *testing.T) {
	a := twoNodesOnALink(t)
	h, err := dptest.Netlink(t, a)
	if err != nil {
		t.Fatal(err)
	}
	far := Peer{Node: "far", PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.9.0/24")}, IPs: []netip.Addr{netip.MustParseAddr("192.168.99.9")}}
	res, err := Sync(h, Desired([]Peer{far}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.OffLink) != 1 || res.OffLink[0].Node != "far" || res.Changed() {
		t.Errorf("Sync = %+v; want node far reported off-link and nothing installed", res)
	}
}
