package podveth_test

import (
	"testing"

	"github.com/dualnet/dualnet/internal/dataplane/podveth"
	"github.com/dualnet/dualnet/internal/podipam"
)

func TestHostNameFitsIFNAMSIZAndIsRecognised(t *testing.T) {
	k := podipam.Key{ContainerID: "a-container-id-far-longer-than-any-interface-name", IfName: "eth0"}
	name := podveth.HostName(k)
	if len(name) > 15 {
		t.Fatalf("HostName(%v) = %q: %d bytes, over IFNAMSIZ-1 (15)", k, name, len(name))
	}
	if name != podveth.HostName(k) {
		t.Fatalf("HostName(%v) is not stable", k)
	}
	if !podveth.IsHostName(name) {
		t.Fatalf("IsHostName(%q) = false for a name HostName made", name)
	}
	other := podipam.Key{ContainerID: k.ContainerID, IfName: "net1"}
	if podveth.HostName(other) == name {
		t.Fatalf("two interfaces of one container share host veth name %q", name)
	}
}

func TestIsHostNameRejectsOtherLinks(t *testing.T) {
	for _, name := range []string{"cbr0", "eth0", "dn", "dn0123456789a", "dn0123456789abc", "dnzz23456789ab", "xx0123456789ab"} {
		if podveth.IsHostName(name) {
			t.Errorf("IsHostName(%q) = true, want false", name)
		}
	}
}

func TestMACsAreStableLocallyAdministeredUnicastAndDistinct(t *testing.T) {
	k := podipam.Key{ContainerID: "c1", IfName: "eth0"}
	host, pod := podveth.HostMAC(k), podveth.PodMAC(k)
	for what, mac := range map[string][]byte{"host": host, "pod": pod} {
		if len(mac) != 6 || mac[0]&0x01 != 0 || mac[0]&0x02 == 0 {
			t.Errorf("%s MAC %x: want 6 bytes, unicast, locally administered", what, mac)
		}
	}
	if host.String() == pod.String() {
		t.Fatalf("host and pod ends share MAC %s", host)
	}
	if podveth.PodMAC(k).String() != pod.String() {
		t.Fatalf("PodMAC(%v) is not stable", k)
	}
}
