package sysctl

import (
	"slices"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

func TestApplyTurnsOnForwardingInTheNamespaceOnlyOnce(t *testing.T) {
	name, ns := dptest.NewNamespace(t, "sysctl")
	uplink := dptest.Name("up")
	dptest.Run(t, "ip", "-n", name, "link", "add", uplink, "type", "veth", "peer", "name", dptest.Name("pe"))
	settings := ForNode(true, true, uplink)
	changed, err := Apply(ns, settings)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net.ipv6.conf." + uplink + ".accept_ra"} {
		if !slices.Contains(changed, want) {
			t.Errorf("changed = %v, want it to hold %s", changed, want)
		}
	}
	got := dptest.InNS(t, name, "sysctl", "-n", "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net.ipv6.conf."+uplink+".accept_ra")
	if strings.Fields(got)[0] != "1" || strings.Fields(got)[1] != "1" || strings.Fields(got)[2] != "2" {
		t.Errorf("sysctls in namespace = %q, want 1 1 2", got)
	}
	if again, err := Apply(ns, settings); err != nil || len(again) != 0 {
		t.Errorf("second Apply = %v, %v; want nothing changed", again, err)
	}
}

func TestApplySetsAcceptRAOnAVLANUplinkWithADotInItsName(t *testing.T) {
	name, ns := dptest.NewNamespace(t, "sysvlan")
	// A VLAN uplink is named eth0.100; what matters here is the dot in the name, so a veth
	// carries it (the 8021q module may be missing where tests run). The namespace is this
	// test's own, so fixed interface names cannot collide.
	dptest.Run(t, "ip", "-n", name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0.100")
	changed, err := Apply(ns, ForNode(false, true, "eth0.100"))
	if err != nil {
		t.Fatalf("Apply with uplink eth0.100: %v", err)
	}
	if want := "net.ipv6.conf.eth0/100.accept_ra"; !slices.Contains(changed, want) {
		t.Errorf("changed = %v, want it to hold %s", changed, want)
	}
	if got := strings.TrimSpace(dptest.InNS(t, name, "cat", "/proc/sys/net/ipv6/conf/eth0.100/accept_ra")); got != "2" {
		t.Errorf("accept_ra of eth0.100 = %q, want 2", got)
	}
	if got := strings.TrimSpace(dptest.InNS(t, name, "cat", "/proc/sys/net/ipv6/conf/eth0/accept_ra")); got == "2" {
		t.Errorf("accept_ra of eth0 (the VLAN's parent) changed to 2; only the uplink's should")
	}
}

func TestPathSwapsDotsAndSlashesAsSysctlDoes(t *testing.T) {
	for name, want := range map[string]string{
		"net.ipv4.ip_forward":                "/proc/sys/net/ipv4/ip_forward",
		"net.ipv6.conf.eth0/100.accept_ra":   "/proc/sys/net/ipv6/conf/eth0.100/accept_ra",
		"net.ipv6.conf.a/b/c.accept_ra":      "/proc/sys/net/ipv6/conf/a.b.c/accept_ra",
		"net.bridge.bridge-nf-call-iptables": "/proc/sys/net/bridge/bridge-nf-call-iptables",
	} {
		if got := (Setting{Name: name}).path(); got != want {
			t.Errorf("path of %s = %s, want %s", name, got, want)
		}
	}
}
