package lab

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/dualnet/dualnet/internal/netspec"
)

// Default node subnets: AKS's default virtual network for IPv4, and for IPv6 the article's
// /64 moved into the documentation range (RFC 3849), so that the lab never claims a routable
// address.
const (
	DefaultNodeSubnetIPv4 = "10.240.0.0/16"
	DefaultNodeSubnetIPv6 = "2001:db8:5678:9abc::/64"
)

// Azure reserves the first four addresses of every subnet (.0 network, .1 gateway, .2 and .3
// DNS) and the last one, so the first VM is .4: https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq
const (
	gatewayOffset   = 1
	firstNodeOffset = 4
)

// Addressing places the lab on the node subnets: the vnet router at .1 / ::1, node i at
// .4+i / ::4+i, and vnet-host right after the last node, as Azure would number the next VM.
type Addressing struct {
	Subnets []netip.Prefix // one per family, IPv4 first
	Nodes   int
}

// NewAddressing checks that the subnets hold the nodes and vnet-host.
func NewAddressing(subnets []netip.Prefix, nodes int) (Addressing, error) {
	if nodes < 1 {
		return Addressing{}, fmt.Errorf("--nodes: %d, a lab needs at least 1 node", nodes)
	}
	a := Addressing{Subnets: subnets, Nodes: nodes}
	for _, s := range subnets {
		// Room for the reserved addresses, the nodes, vnet-host and the reserved last one.
		need := uint64(firstNodeOffset + nodes + 4)
		bits := s.Addr().BitLen() - s.Bits()
		if bits < 64 && uint64(1)<<bits < need {
			return Addressing{}, fmt.Errorf("--node-subnets: %s holds %d addresses, %d nodes need %d (Azure reserves 5; vnet-host, the control plane and the registry take 3)",
				s, uint64(1)<<bits, nodes, need)
		}
	}
	return a, nil
}

// Gateway is the vnet router's address in each family, IPv4 first.
func (a Addressing) Gateway() []netip.Prefix { return a.at(gatewayOffset) }

// Node is node i's address in each family, IPv4 first, with the subnet's prefix length.
func (a Addressing) Node(i int) []netip.Prefix { return a.at(uint64(firstNodeOffset + i)) }

// VnetHost is the address of the VM on the virtual network, in each family.
func (a Addressing) VnetHost() []netip.Prefix { return a.at(uint64(firstNodeOffset + a.Nodes)) }

// ControlPlane is the address of the control-plane machine (the API server), after vnet-host.
func (a Addressing) ControlPlane() []netip.Prefix { return a.at(uint64(firstNodeOffset + a.Nodes + 1)) }

// Registry is the address of the lab's image registry, after the control plane.
func (a Addressing) Registry() []netip.Prefix { return a.at(uint64(firstNodeOffset + a.Nodes + 2)) }

func (a Addressing) at(offset uint64) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(a.Subnets))
	for _, s := range a.Subnets {
		out = append(out, netip.PrefixFrom(addOffset(s.Masked().Addr(), offset), s.Bits()))
	}
	return out
}

// addOffset adds a small offset to the low 64 bits of an address (subnets here are far
// smaller than 2^64 addresses past their base).
func addOffset(base netip.Addr, offset uint64) netip.Addr {
	b := base.As16()
	low := binary.BigEndian.Uint64(b[8:]) + offset
	binary.BigEndian.PutUint64(b[8:], low)
	addr := netip.AddrFrom16(b)
	if base.Is4() {
		return addr.Unmap()
	}
	return addr
}

// NodeSubnets are the spec's node subnets, or the lab's defaults, one per family in the
// spec's order (IPv4 first).
func NodeSubnets(spec netspec.Spec) []netip.Prefix {
	defaults := map[netspec.Family]string{netspec.IPv4: DefaultNodeSubnetIPv4, netspec.IPv6: DefaultNodeSubnetIPv6}
	var out []netip.Prefix
	for _, f := range spec.Families {
		if p, ok := spec.NodeSubnet(f); ok {
			out = append(out, p)
			continue
		}
		out = append(out, netip.MustParsePrefix(defaults[f]))
	}
	return out
}
