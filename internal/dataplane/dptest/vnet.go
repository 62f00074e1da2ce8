package dptest

import (
	"net/netip"
	"testing"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// VNet is a virtual network: a namespace holding a bridge that every host's eth0 plugs into,
// like the subnet that AKS nodes share.
type VNet struct {
	NS     string // the namespace holding the bridge
	bridge string
}

// Host is a namespace on the VNet with eth0 holding one address of each family.
type Host struct {
	Name string
	NS   nodens.Namespace
	IPv4 netip.Addr
	IPv6 netip.Addr
}

// NewVNet creates the VNet namespace and its bridge.
func NewVNet(t testing.TB) *VNet {
	t.Helper()
	name, _ := NewNamespace(t, "vnet")
	v := &VNet{NS: name, bridge: "vnet0"}
	Run(t, "ip", "-n", name, "link", "add", v.bridge, "type", "bridge")
	Run(t, "ip", "-n", name, "link", "set", v.bridge, "up")
	return v
}

// AddHost creates a namespace plugged into the VNet with ipv4/24 and ipv6/64 on eth0.
// IPv6 duplicate address detection is off so the address works at once.
func (v *VNet) AddHost(t testing.TB, what string, ipv4, ipv6 netip.Addr) Host {
	t.Helper()
	name, ns := NewNamespace(t, what)
	port := Name("p")
	Run(t, "ip", "-n", v.NS, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", name)
	Run(t, "ip", "-n", v.NS, "link", "set", port, "master", v.bridge, "up")
	Run(t, "ip", "-n", name, "addr", "add", netip.PrefixFrom(ipv4, 24).String(), "dev", "eth0")
	Run(t, "ip", "-n", name, "addr", "add", netip.PrefixFrom(ipv6, 64).String(), "dev", "eth0", "nodad")
	Run(t, "ip", "-n", name, "link", "set", "eth0", "up")
	return Host{Name: name, NS: ns, IPv4: ipv4, IPv6: ipv6}
}
