package labnode

import (
	"net"
	"slices"
	"testing"

	"net/netip"

	cni100 "github.com/containernetworking/cni/pkg/types/100"
)

func TestPodIPsListsIPv4FirstWhateverTheResultOrder(t *testing.T) {
	result := &cni100.Result{CNIVersion: "1.1.0", IPs: []*cni100.IPConfig{
		{Address: net.IPNet{IP: net.ParseIP("fd12:3456:789a:0:1::2"), Mask: net.CIDRMask(80, 128)}},
		{Address: net.IPNet{IP: net.ParseIP("10.244.1.2").To4(), Mask: net.CIDRMask(24, 32)}},
	}}
	got, err := podIPs(result)
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Addr{netip.MustParseAddr("10.244.1.2"), netip.MustParseAddr("fd12:3456:789a:0:1::2")}
	if !slices.Equal(got, want) {
		t.Errorf("podIPs = %v, want %v", got, want)
	}
}

func TestPodIPsRefusesAResultWithoutAddresses(t *testing.T) {
	if _, err := podIPs(&cni100.Result{CNIVersion: "1.1.0"}); err == nil {
		t.Error("want an error for a result with no IP")
	}
}
