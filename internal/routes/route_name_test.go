package routes

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

// azureName is Azure's rule for a resource name, as its InvalidResourceName message states it:
// up to 80 characters, beginning with a word character, ending with a word character or '_',
// with only word characters, '.', '-' and '_' in between.
var azureName = regexp.MustCompile(`^\w$|^\w[\w.-]{0,78}\w$`)

// longNode is a valid Kubernetes node name of n characters (a DNS subdomain of 63-character
// labels) that starts with start.
func longNode(start string, n int) string {
	var b strings.Builder
	b.WriteString(start)
	for b.Len() < n {
		if b.Len()%64 == 63 {
			b.WriteByte('.')
		} else {
			b.WriteByte(byte('a' + b.Len()%26))
		}
	}
	return strings.TrimRight(b.String()[:n-1], ".-") + "z"
}

func TestRouteNameIsTodaysNameWheneverItFitsIn80Characters(t *testing.T) {
	node76 := longNode("aks-", 80-len("____")-len("102441024"))
	for _, tc := range []struct{ node, cidr, want string }{
		{"aks-nodepool1-123-vmss000000", "10.244.0.0/24", "aks-nodepool1-123-vmss000000____102440024"},
		{"n1", "fd12:3456:789a:0:1::/80", "n1____fd123456789a0180"},
		{"", "10.244.7.0/24", "____102447024"},
		{node76, "10.244.1.0/24", node76 + "____102441024"},
	} {
		got := RouteName(tc.node, netip.MustParsePrefix(tc.cidr))
		if got != tc.want {
			t.Errorf("RouteName(%q, %s) = %q, want %q", tc.node, tc.cidr, got, tc.want)
		}
	}
	if n := len(RouteName(node76, netip.MustParsePrefix("10.244.1.0/24"))); n != 80 {
		t.Errorf("boundary case is %d characters, want exactly 80", n)
	}
}

func TestRouteNameShortensLongNodeNamesToAzuresRule(t *testing.T) {
	for _, tc := range []struct {
		nodeLen int
		cidr    string
	}{
		{253, "10.244.1.0/24"},
		{253, "fd12:3456:789a:0:1::/80"},
		{253, "fd12:3456:789a:1:2:3:4:5/128"},
		{253, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"},
		{80 - len("____") - len("102441024") + 1, "10.244.1.0/24"},
		{100, "10.0.0.0/8"},
	} {
		t.Run(fmt.Sprintf("%d/%s", tc.nodeLen, tc.cidr), func(t *testing.T) {
			node := longNode("aks-", tc.nodeLen)
			got := RouteName(node, netip.MustParsePrefix(tc.cidr))
			if len(got) != 80 || !azureName.MatchString(got) {
				t.Errorf("RouteName = %q (%d characters); want 80 characters matching %s", got, len(got), azureName)
			}
			cidr := strings.NewReplacer(".", "", ":", "", "/", "").Replace(tc.cidr)
			if !strings.HasSuffix(got, "____"+cidr) {
				t.Errorf("RouteName = %q, want it to end with the whole CIDR ____%s", got, cidr)
			}
			nodePart, ok := NodeOfRoute(got)
			if i := strings.LastIndex(nodePart, "-"); !ok || i < 1 || !strings.HasPrefix(node, nodePart[:i]) || len(nodePart)-i-1 != nodeHashLen {
				t.Errorf("node part %q of %q is not a prefix of the node name, '-' and %d hex digits", nodePart, got, nodeHashLen)
			}
		})
	}
}

func TestRouteNameTellsApartLongNodesSharingTheirFirst70Characters(t *testing.T) {
	common := longNode("aks-", 70)
	cidr := netip.MustParsePrefix("10.244.1.0/24")
	a, b := RouteName(common+"-pool-a-vmss000000", cidr), RouteName(common+"-pool-b-vmss000000", cidr)
	if a == b {
		t.Errorf("two nodes sharing their first 70 characters both got route name %q", a)
	}
}

func TestRouteNameIsTheSameForTheSameNodeAndCIDR(t *testing.T) {
	node := longNode("aks-", 253)
	cidr := netip.MustParsePrefix("fd12:3456:789a:0:1::/80")
	first := RouteName(node, cidr)
	if again := RouteName(node, cidr); again != first {
		t.Errorf("RouteName gave %q, then %q", first, again)
	}
	// Pinned: a changed scheme would rename, so delete and re-add, every long node's routes.
	if want := "aks-efghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvw-9554f9b59e____fd123456789a0180"; first != want {
		t.Errorf("RouteName = %q, want %q (the shortened names must not change between releases)", first, want)
	}
}

// FuzzRouteNameAlwaysFitsAzuresRule checks that every valid node name and every prefix give a
// name Azure accepts, and that names that already fit are left as cloud-provider-azure makes them.
func FuzzRouteNameAlwaysFitsAzuresRule(f *testing.F) {
	f.Add("aks-nodepool1-123-vmss000000", []byte{10, 244, 1, 0}, uint8(24))
	f.Add(longNode("n", 253), []byte{0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, uint8(80))
	f.Add(longNode("x", 120), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint8(128))
	f.Fuzz(func(t *testing.T, node string, addr []byte, bits uint8) {
		if !kubernetesNodeName.MatchString(node) || len(node) > 253 {
			return
		}
		ip, ok := netip.AddrFromSlice(addr)
		if !ok {
			return
		}
		p, err := ip.Prefix(int(bits) % (ip.BitLen() + 1))
		if err != nil {
			t.Fatal(err)
		}
		got := RouteName(node, p)
		if !azureName.MatchString(got) || got[0] != node[0] {
			t.Fatalf("RouteName(%q, %s) = %q (%d characters): not an Azure name starting with the node's first character", node, p, got, len(got))
		}
		if today := node + "____" + strings.NewReplacer(".", "", ":", "", "/", "").Replace(p.String()); len(today) <= 80 && got != today {
			t.Fatalf("RouteName(%q, %s) = %q, want today's name %q", node, p, got, today)
		}
	})
}

// kubernetesNodeName is the DNS subdomain rule Kubernetes applies to node names.
var kubernetesNodeName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
