package lab

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/netspec"
)

// Topology is the lab's virtual network: the vnet router with one bridge for the subnet, and
// one namespace per machine (the nodes, vnet-host) plugged into it by a veth pair.
type Topology struct {
	Names      Names
	Addressing Addressing
	Internet   Internet
}

// machine is a namespace plugged into the vnet router: its name, its port in the vnet
// namespace, its addresses. A machine on the subnet has its port on the vnet bridge; one
// outside (the internet) has a link of its own, with the router's addresses on the port.
type machine struct {
	netns, port string
	addrs       []netip.Prefix
	routerAddrs []netip.Prefix // nil: on the subnet's bridge
}

func (t Topology) machines() []machine {
	var out []machine
	for i := 0; i < t.Addressing.Nodes; i++ {
		out = append(out, machine{t.Names.Node(i), vnetPortForNode(i), t.Addressing.Node(i), nil})
	}
	out = append(out, machine{t.Names.VnetHost(), vnetPortForVnetHost, t.Addressing.VnetHost(), nil})
	out = append(out, machine{t.Names.ControlPlane(), vnetPortForControlPlane, t.Addressing.ControlPlane(), nil})
	out = append(out, machine{t.Names.Registry(), vnetPortForRegistry, t.Addressing.Registry(), nil})
	return append(out, machine{t.Names.Internet(), vnetPortForInternet, t.Internet.Client, t.Internet.Router})
}

// Build creates the namespaces and links, recording each namespace in the state before
// anything is put in it so that a failure half way is undone by Down.
func (t Topology) Build(st *State, progress func(string, ...any)) error {
	vnet := t.Names.Vnet()
	if err := t.newNamespace(st, vnet, routerSysctls); err != nil {
		return err
	}
	if err := t.buildRouter(vnet); err != nil {
		return err
	}
	for _, m := range t.machines() {
		if err := t.newNamespace(st, m.netns, noDAD); err != nil {
			return err
		}
		if err := t.plug(vnet, m); err != nil {
			return err
		}
		progress("  %s: %s", m.netns, joinPrefixes(m.addrs))
	}
	return nil
}

func (t Topology) newNamespace(st *State, name string, sysctls map[string]string) error {
	if err := st.addNamespace(name); err != nil {
		return err
	}
	if err := netns.Create(name); err != nil {
		return err
	}
	if err := setSysctls(name, sysctls); err != nil {
		return err
	}
	return netns.LoopbackUp(name)
}

// buildRouter gives the vnet namespace its bridge with the gateway addresses (.1 / ::1).
func (t Topology) buildRouter(vnet string) error {
	h, err := netns.Netlink(vnet)
	if err != nil {
		return err
	}
	defer h.Close()
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: vnetBridge}}
	if err := h.LinkAdd(br); err != nil {
		return fmt.Errorf("%s: add bridge %s: %w", vnet, vnetBridge, err)
	}
	if err := addAddrs(h, vnetBridge, t.Addressing.Gateway()); err != nil {
		return fmt.Errorf("%s: %w", vnet, err)
	}
	return upByName(h, vnetBridge)
}

// plug connects a machine to the subnet: a veth pair created inside the vnet namespace with
// its peer born directly in the machine's namespace, so no link ever exists in the host's.
func (t Topology) plug(vnet string, m machine) error {
	target, err := vnetns.GetFromPath(netns.Path(m.netns))
	if err != nil {
		return fmt.Errorf("open network namespace %s: %w", m.netns, err)
	}
	defer target.Close()
	hv, err := netns.Netlink(vnet)
	if err != nil {
		return err
	}
	defer hv.Close()
	attrs := netlink.LinkAttrs{Name: m.port}
	if m.routerAddrs == nil {
		br, err := hv.LinkByName(vnetBridge)
		if err != nil {
			return fmt.Errorf("%s: %w", vnet, err)
		}
		attrs.MasterIndex = br.Attrs().Index
	}
	veth := &netlink.Veth{
		LinkAttrs:     attrs,
		PeerName:      nodeLinkName,
		PeerNamespace: netlink.NsFd(int(target)),
	}
	if err := hv.LinkAdd(veth); err != nil {
		return fmt.Errorf("%s: add veth %s to %s: %w", vnet, m.port, m.netns, err)
	}
	if err := addAddrs(hv, m.port, m.routerAddrs); err != nil {
		return fmt.Errorf("%s: %w", vnet, err)
	}
	if err := upByName(hv, m.port); err != nil {
		return fmt.Errorf("%s: %w", vnet, err)
	}
	hm, err := netns.Netlink(m.netns)
	if err != nil {
		return err
	}
	defer hm.Close()
	if err := addAddrs(hm, nodeLinkName, m.addrs); err != nil {
		return fmt.Errorf("%s: %w", m.netns, err)
	}
	if err := upByName(hm, nodeLinkName); err != nil {
		return fmt.Errorf("%s: %w", m.netns, err)
	}
	link, err := hm.LinkByName(nodeLinkName)
	if err != nil {
		return err
	}
	gateways := t.Addressing.Gateway()
	if m.routerAddrs != nil {
		gateways = m.routerAddrs
	}
	for _, gw := range gateways {
		route := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: net.IP(gw.Addr().AsSlice())}
		if err := hm.RouteAdd(route); err != nil {
			return fmt.Errorf("%s: default route via %s: %w", m.netns, gw.Addr(), err)
		}
	}
	return nil
}

func upByName(h *netlink.Handle, name string) error {
	link, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find link %s: %w", name, err)
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", name, err)
	}
	return nil
}

func addAddrs(h *netlink.Handle, linkName string, addrs []netip.Prefix) error {
	link, err := h.LinkByName(linkName)
	if err != nil {
		return fmt.Errorf("find link %s: %w", linkName, err)
	}
	for _, a := range addrs {
		addr := &netlink.Addr{IPNet: netspec.IPNet(a)}
		if a.Addr().Is6() {
			addr.Flags = unix.IFA_F_NODAD
		}
		if err := h.AddrAdd(link, addr); err != nil {
			return fmt.Errorf("add %s to %s: %w", a, linkName, err)
		}
	}
	return nil
}

func joinPrefixes(ps []netip.Prefix) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += p.Addr().String()
	}
	return s
}
