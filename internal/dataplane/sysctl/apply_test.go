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
