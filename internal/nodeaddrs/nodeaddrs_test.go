package nodeaddrs

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dualnet/dualnet/internal/netspec"
)

func node(podCIDR string, podCIDRs ...string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n0"}, Spec: corev1.NodeSpec{PodCIDR: podCIDR, PodCIDRs: podCIDRs}}
}

// What node IPAM writes (internal/controller/nodeipam, patchPodCIDRs: spec.podCIDRs from the
// spec's blocks, IPv4 first, and spec.podCIDR the first of them) parses as it was written,
// for the first and the last block of a dual-stack and an IPv4-only spec.
func TestPodCIDRsTakesWhatNodeIPAMWrites(t *testing.T) {
	v4only, err := netspec.Parse(netspec.Input{IPFamilies: "ipv4", NodeCIDRMaskSizeIPv4: 24, NodeCIDRMaskSizeIPv6: 80, MaxRoutes: 400})
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []netspec.Spec{netspec.Default(), v4only} {
		for _, i := range []uint64{0, 1, spec.Capacity().Nodes - 1} {
			want := spec.NodeCIDRs(i)
			var list []string
			for _, p := range want {
				list = append(list, p.String())
			}
			got, err := PodCIDRs(node(list[0], list...))
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("PodCIDRs of a node given %v by node IPAM = %v, %v; want them back", list, got, err)
			}
		}
	}
}

func TestPodCIDRsFallsBackToTheLegacyFieldAndNoneIsNoError(t *testing.T) {
	if got, err := PodCIDRs(node("10.244.3.0/24")); err != nil || !slices.Equal(got, []netip.Prefix{netip.MustParsePrefix("10.244.3.0/24")}) {
		t.Errorf("PodCIDRs of a node with spec.podCIDR only = %v, %v", got, err)
	}
	if got, err := PodCIDRs(node("")); err != nil || len(got) != 0 {
		t.Errorf("PodCIDRs of a node without pod CIDRs = %v, %v; want none and no error", got, err)
	}
}

// A Node whose pod CIDRs the CNI plugin would refuse in its conflist is an error naming the
// node, the field and the rule: IPv6 first, host bits, IPv6 alone.
func TestPodCIDRsTheCNIPluginWouldRefuseAreAnErrorNamingNodeAndField(t *testing.T) {
	for _, tc := range []struct {
		n    *corev1.Node
		want string
	}{
		{node("fd12:3456:789a::/80", "fd12:3456:789a::/80", "10.244.0.0/24"),
			"node n0: spec.podCIDRs: the IPv6 range fd12:3456:789a::/80 comes before the IPv4 range 10.244.0.0/24"},
		{node("10.244.0.5/24", "10.244.0.5/24"), "node n0: spec.podCIDRs: 10.244.0.5/24 has host bits set"},
		{node("fd12:3456:789a::/80"), "node n0: spec.podCIDR: fd12:3456:789a::/80 alone"},
	} {
		got, err := PodCIDRs(tc.n)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || got != nil {
			t.Errorf("PodCIDRs(%v) = %v, %v; want an error starting %q", tc.n.Spec, got, err, tc.want)
		}
	}
}

func TestInternalIPsAreTheFirstOfEachFamilyReadAsIPv4WhenMapped(t *testing.T) {
	n := node("")
	n.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeHostName, Address: "10.0.0.1"},
		{Type: corev1.NodeInternalIP, Address: "not an address"},
		{Type: corev1.NodeInternalIP, Address: "fd00:30::4"},
		{Type: corev1.NodeInternalIP, Address: "::ffff:172.30.0.4"},
		{Type: corev1.NodeInternalIP, Address: "172.30.0.5"},
		{Type: corev1.NodeInternalIP, Address: "fd00:30::5"},
		{Type: corev1.NodeExternalIP, Address: "203.0.113.1"},
	}
	want := []netip.Addr{netip.MustParseAddr("fd00:30::4"), netip.MustParseAddr("172.30.0.4")}
	if got := InternalIPs(n); !slices.Equal(got, want) {
		t.Errorf("InternalIPs = %v, want %v", got, want)
	}
}
