package netspec

import (
	"net/netip"
	"slices"
	"testing"
)

func TestNodeIGetsTheArticlesPodCIDRs(t *testing.T) {
	s := Default()
	want := [][]netip.Prefix{
		prefixes("10.244.0.0/24", "fd12:3456:789a::/80"),
		prefixes("10.244.1.0/24", "fd12:3456:789a:0:1::/80"),
		prefixes("10.244.2.0/24", "fd12:3456:789a:0:2::/80"),
	}
	for i, w := range want {
		if got := s.NodeCIDRs(uint64(i)); !slices.Equal(got, w) {
			t.Errorf("NodeCIDRs(%d) = %v, want %v", i, got, w)
		}
	}
	if got := s.NodeCIDRs(255); !slices.Equal(got, prefixes("10.244.255.0/24", "fd12:3456:789a:0:ff::/80")) {
		t.Errorf("NodeCIDRs(255) = %v", got)
	}
	if got := s.NodeCIDRs(256); got != nil {
		t.Errorf("NodeCIDRs(256) = %v, want nil: the IPv4 /16 has 256 blocks", got)
	}
}

func TestBlockArithmeticGoesPast16And64Bits(t *testing.T) {
	in := DefaultInput()
	in.IPFamilies = "ipv4,ipv6"
	in.PodCIDRs = "10.0.0.0/8,fd00::/32"
	in.ServiceCIDRs = "192.168.0.0/16,fd12:3456:789a:1::/108"
	in.NodeCIDRMaskSizeIPv4 = 30
	in.NodeCIDRMaskSizeIPv6 = 112
	s, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Blocks(IPv6); got != 1<<63|(1<<63-1) {
		t.Errorf("Blocks(IPv6) = %d, want saturated", got)
	}
	p, ok := s.NodeCIDR(IPv6, 70000)
	if !ok || p != netip.MustParsePrefix("fd00::1:1170:0/112") {
		t.Errorf("NodeCIDR(IPv6, 70000) = %v, %v", p, ok)
	}
	for _, i := range []uint64{0, 1, 65535, 65536, 70000, 1<<22 - 1} {
		for _, f := range s.Families {
			p, ok := s.NodeCIDR(f, i)
			if !ok {
				t.Fatalf("NodeCIDR(%s, %d) missing", f, i)
			}
			got, ok := s.BlockIndex(p)
			if !ok || got != i {
				t.Errorf("BlockIndex(%s) = %d, %v, want %d", p, got, ok, i)
			}
		}
	}
}

func TestBlockIndexRejectsWhatIsNotABlock(t *testing.T) {
	s := Default()
	for _, p := range []string{"10.245.0.0/24", "10.244.0.0/25", "10.244.0.128/25", "fd12:3456:789a:1::/80", "fd12:3456:789a::/96"} {
		if i, ok := s.BlockIndex(netip.MustParsePrefix(p)); ok {
			t.Errorf("BlockIndex(%s) = %d, want not a block", p, i)
		}
	}
}

func TestNodeAddressesStartWhereAzureStarts(t *testing.T) {
	for _, tt := range []struct {
		subnet string
		i      uint64
		want   string
	}{
		{"10.240.0.0/16", 0, "10.240.0.4"},
		{"10.240.0.0/16", 252, "10.240.1.0"},
		{"2001:1234:5678:9abc::/64", 0, "2001:1234:5678:9abc::4"},
		{"2001:1234:5678:9abc::/64", 2, "2001:1234:5678:9abc::6"},
	} {
		got, ok := NodeAddress(netip.MustParsePrefix(tt.subnet), tt.i)
		if !ok || got != netip.MustParseAddr(tt.want) {
			t.Errorf("NodeAddress(%s, %d) = %v, %v, want %s", tt.subnet, tt.i, got, ok, tt.want)
		}
	}
	if _, ok := NodeAddress(netip.MustParsePrefix("10.240.0.0/29"), 3); ok {
		t.Error("a /29 has 3 node addresses (.4 to .6), not 4")
	}
}

func TestKubernetesServiceIPIsTheFirstServiceAddress(t *testing.T) {
	s := Default()
	for f, want := range map[Family]string{IPv4: "10.0.0.1", IPv6: "fd12:3456:789a:1::1"} {
		if got, _ := s.KubernetesServiceIP(f); got != netip.MustParseAddr(want) {
			t.Errorf("KubernetesServiceIP(%s) = %s, want %s", f, got, want)
		}
	}
}
