package lab

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func prefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestAddressingNumbersNodesFromDot4AsAzureDoes(t *testing.T) {
	a, err := NewAddressing(prefixes(DefaultNodeSubnetIPv4, DefaultNodeSubnetIPv6), 3)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		got  []netip.Prefix
		want []netip.Prefix
	}{
		{"gateway", a.Gateway(), prefixes("10.240.0.1/16", "2001:db8:5678:9abc::1/64")},
		{"node 0", a.Node(0), prefixes("10.240.0.4/16", "2001:db8:5678:9abc::4/64")},
		{"node 2", a.Node(2), prefixes("10.240.0.6/16", "2001:db8:5678:9abc::6/64")},
		{"vnet-host", a.VnetHost(), prefixes("10.240.0.7/16", "2001:db8:5678:9abc::7/64")},
	}
	for _, c := range cases {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestAddressingCarriesPastAByte(t *testing.T) {
	a, err := NewAddressing(prefixes("10.240.0.0/16"), 300)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Node(299)[0], netip.MustParsePrefix("10.240.1.47/16"); got != want {
		t.Errorf("node 299: got %s, want %s", got, want)
	}
}

func TestAddressingRejectsASubnetTooSmallForTheNodes(t *testing.T) {
	_, err := NewAddressing(prefixes("10.240.0.0/29"), 3)
	if err == nil || !strings.Contains(err.Error(), "--node-subnets") {
		t.Fatalf("want an error naming --node-subnets, got %v", err)
	}
}

func TestCheckHostRoutesNamesTheFlagAndTheHostRoute(t *testing.T) {
	lab := []Range{{"--node-subnets", netip.MustParsePrefix("10.240.0.0/16")}, {"--pod-cidrs", netip.MustParsePrefix("fd12:3456:789a::/64")}}
	host := prefixes("0.0.0.0/0", "::/0", "192.168.1.0/24", "10.240.3.0/24")
	err := CheckHostRoutes(lab, host)
	if err == nil || !strings.Contains(err.Error(), "--node-subnets: 10.240.0.0/16 overlaps the host route 10.240.3.0/24") {
		t.Fatalf("got %v", err)
	}
	if err := CheckHostRoutes(lab, prefixes("0.0.0.0/0", "192.168.1.0/24")); err != nil {
		t.Fatalf("no overlap, got %v", err)
	}
}
