// Package bridge makes sure a node's pod bridge (cbr0) exists, is up and holds exactly the
// gateway addresses of the node's pod CIDRs (.1 / ::1). The agent calls it when the node gets
// its pod CIDRs and the CNI plugin calls it on every ADD, so it is idempotent, safe to run
// from many processes at once, and costs two netlink round trips when nothing is missing (none
// more with EnsureSeen, after the caller's Look made them).
//
// For the agent, it also puts back what the kernel loses or never restores on its own: the
// host veths of running pods, which a deleted bridge leaves detached (ports.go), and the
// routes of the pod CIDRs through the bridge (routes.go); Apply says what it changed, so that
// each repair can be reported.
//
// It must not create pods' veths, set sysctls or write firewall rules: those belong to the
// plugin and to the agent. It must never take over a link it did not create that may carry the
// node's own address: bridges it creates carry the alias "dualnet" (see Owned).
package bridge

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	"k8s.io/utils/ptr"

	"github.com/dualnet/dualnet/internal/dataplane/rtnl"
	"github.com/dualnet/dualnet/internal/netspec"
)

// Ensure creates the bridge name if missing, brings it up with the given MTU, and makes its
// global addresses exactly gateways (each the gateway address with its pod CIDR's prefix
// length, e.g. 10.244.1.1/24). h selects the network namespace; nil is the caller's.
// Link-local addresses are left alone; other global ones are removed, so a node whose pod
// CIDR changed stops answering for the old one, but only when removing them cannot cut the
// node off (see removable): otherwise Ensure changes nothing and says which address is in
// the way.
func Ensure(h *netlink.Handle, name string, gateways []netip.Prefix, mtu int) (netlink.Link, error) {
	link, _, err := Apply(h, name, gateways, mtu, nil)
	return link, err
}

// Seen is what a caller already read of the bridge: the link (nil: there was none) and its
// addresses.
type Seen struct {
	Link  netlink.Link
	Addrs []netlink.Addr
}

// Look reads the bridge and its addresses; Seen.Link is nil when there is no such link. A
// nil handle reads them in the calling thread's namespace through rtnl, which costs a
// process that makes one request (the CNI plugin) less.
func Look(h *netlink.Handle, name string) (Seen, error) {
	var link netlink.Link
	var err error
	if h == nil {
		link, err = rtnl.LinkByName(name)
	} else if link, err = h.LinkByName(name); errors.As(err, new(netlink.LinkNotFoundError)) {
		link, err = nil, nil
	}
	if err != nil {
		return Seen{}, fmt.Errorf("find bridge %s: %w", name, err)
	}
	if link == nil {
		return Seen{}, nil
	}
	addrs, err := addrList(h, link)
	if err != nil {
		return Seen{}, fmt.Errorf("list addresses of bridge %s: %w", name, err)
	}
	return Seen{Link: link, Addrs: addrs}, nil
}

// EnsureSeen is Ensure from what Look read, without reading it again: on a busy node every
// link lookup and address dump waits for the kernel's RTNL lock behind the other plugins'
// changes, and the CNI plugin reads the bridge before it ensures it anyway (to keep the
// gateways of running pods).
func EnsureSeen(h *netlink.Handle, seen Seen, name string, gateways []netip.Prefix, mtu int) (netlink.Link, error) {
	link, _, err := apply(h, seen, name, gateways, mtu, nil)
	return link, err
}

// Changes says what Apply found missing or different, and changed.
type Changes struct {
	Created        bool           // the bridge was missing
	SetUp          bool           // it was down
	MTU            int            // the MTU it set (the bridge had another); 0: none set
	Attached       []string       // ports attached again (ports.go)
	Added, Removed []netip.Prefix // gateways added, stale addresses removed
}

// Any says whether Apply changed anything.
func (c Changes) Any() bool {
	return c.Created || c.SetUp || c.MTU != 0 || len(c.Attached)+len(c.Added)+len(c.Removed) > 0
}

// Apply is Ensure for the agent: it also attaches the links of ports that are off the bridge
// (see attachPorts), and says what it changed, for the agent's repair reports. The ports go
// on before the gateways, which bring the routes: a packet routed to a bridge without its
// ports would leave a neighbour entry failing, and its pod unreachable, for a second.
func Apply(h *netlink.Handle, name string, gateways []netip.Prefix, mtu int, ports []int) (netlink.Link, Changes, error) {
	seen, err := Look(h, name)
	if err != nil {
		return nil, Changes{}, err
	}
	return apply(h, seen, name, gateways, mtu, ports)
}

// apply is Apply from what Look read: it creates the bridge when seen has none.
func apply(h *netlink.Handle, seen Seen, name string, gateways []netip.Prefix, mtu int, ports []int) (netlink.Link, Changes, error) {
	var c Changes
	if h == nil {
		h = &netlink.Handle{} // a zero Handle opens sockets in the caller's namespace
	}
	link, have := seen.Link, seen.Addrs
	if link == nil {
		var err error
		if link, c.Created, err = findOrCreate(h, name, mtu); err != nil {
			return nil, c, err
		}
		if have, err = addrList(h, link); err != nil {
			return nil, c, fmt.Errorf("list addresses of bridge %s: %w", name, err)
		}
	} else if err := checkBridge(h, name, link); err != nil {
		return nil, c, err
	}
	// Decide before changing anything, so a refused link is left exactly as it was.
	stale, err := staleAddrs(name, globalPrefixes(have), gateways, Owned(link))
	if err != nil {
		return nil, c, err
	}
	if c.MTU, c.SetUp, err = setUp(h, link, mtu); err != nil {
		return nil, c, err
	}
	if c.Attached, err = attachPorts(h, link, ports); err != nil {
		return nil, c, err
	}
	if c.Added, c.Removed, err = replaceAddrs(h, link, have, stale, gateways); err != nil {
		return nil, c, err
	}
	return link, c, nil
}

// findOrCreate returns the bridge, creating it (marked as dualnet's) when missing, and says
// whether it created it; an existing link that is not a bridge is refused.
func findOrCreate(h *netlink.Handle, name string, mtu int) (netlink.Link, bool, error) {
	link, err := h.LinkByName(name)
	created := false
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{
			Name:   name,
			MTU:    mtu,
			TxQLen: -1,
			// An address set at creation is kept (NET_ADDR_SET); otherwise the bridge takes
			// the lowest port MAC and changes it as pods come and go, which breaks the
			// pods' neighbour entries for the gateway.
			HardwareAddr: StableMAC("dualnet-bridge/" + name),
			Flags:        net.FlagUp,
		}, GroupFwdMask: ptr.To(linkLocalForwardMask)}
		addErr := h.LinkAdd(br)
		if addErr != nil && !errors.Is(addErr, unix.EEXIST) {
			return nil, false, fmt.Errorf("create bridge %s: %w", name, addErr)
		}
		if created = addErr == nil; created {
			// Only the process that created the bridge marks it. The kernel ignores
			// IFLA_IFALIAS in a creating request (rtnl_create_link does not read it), so
			// the mark takes a second one; until it lands, the bridge has no address for
			// staleAddrs to weigh.
			if err := h.LinkSetAlias(br, ownerAlias); err != nil {
				return nil, false, fmt.Errorf("mark bridge %s as dualnet's: %w", name, err)
			}
		}
		link, err = h.LinkByName(name)
	}
	if err != nil {
		return nil, false, fmt.Errorf("bridge %s: %w", name, err)
	}
	if err := checkBridge(h, name, link); err != nil {
		return nil, false, err
	}
	return link, created, nil
}

// checkBridge refuses a link that is not a bridge, and has a bridge forward the link-local
// groups through the checks.
func checkBridge(h *netlink.Handle, name string, link netlink.Link) error {
	br, ok := link.(*netlink.Bridge)
	if !ok {
		return fmt.Errorf("bridge %s: the link exists and is a %s, not a bridge; dualnet will not take it over (choose another bridge name)", name, link.Type())
	}
	if br.GroupFwdMask == nil || *br.GroupFwdMask != linkLocalForwardMask {
		// A bridge an older dualnet (or anything else) made.
		fix := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Index: br.Index, Name: name, TxQLen: -1}, GroupFwdMask: ptr.To(linkLocalForwardMask)}
		if err := h.LinkModify(fix); err != nil {
			return fmt.Errorf("bridge %s: forward link-local group frames through the checks (group_fwd_mask %#x): %w", name, linkLocalForwardMask, err)
		}
	}
	return nil
}

// linkLocalForwardMask makes the bridge forward frames to the reserved link-local groups
// 01:80:c2:00:00:03 to :0f (802.1X, LLDP...) like any other frame, through the prerouting
// hook where the CNI plugin's anti-spoofing rules check them. Otherwise the bridge hands
// some of them (LLDP) to the node with no netfilter hook at all, after learning their source
// MAC: a pod could claim another pod's MAC, and reach the node from another pod's address.
// :00 to :02 (STP, pause, LACP) cannot be forwarded; the plugin's rules drop them at the
// input hook.
const linkLocalForwardMask uint16 = 0xfff8

// setUp sets the MTU and brings the bridge up, and says what it changed: the MTU it set
// (0: none) and whether the bridge was down.
func setUp(h *netlink.Handle, link netlink.Link, mtu int) (mtuSet int, wasDown bool, err error) {
	name := link.Attrs().Name
	if mtu > 0 && link.Attrs().MTU != mtu {
		if err := h.LinkSetMTU(link, mtu); err != nil {
			return 0, false, fmt.Errorf("set bridge %s MTU to %d: %w", name, mtu, err)
		}
		mtuSet = mtu
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		if err := h.LinkSetUp(link); err != nil {
			return mtuSet, false, fmt.Errorf("bring bridge %s up: %w", name, err)
		}
		wasDown = true
	}
	return mtuSet, wasDown, nil
}

// replaceAddrs removes the stale addresses and adds the missing gateways, and returns what
// it added and removed.
func replaceAddrs(h *netlink.Handle, link netlink.Link, have []netlink.Addr, stale map[netip.Prefix]bool, gateways []netip.Prefix) (added, removed []netip.Prefix, err error) {
	present := make(map[netip.Prefix]bool, len(have))
	for _, a := range have {
		p, _ := netspec.PrefixOf(a.IPNet)
		present[p] = true
		if !stale[p] {
			continue
		}
		if err := h.AddrDel(link, &a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return added, removed, fmt.Errorf("remove stale address %s from bridge %s: %w", p, link.Attrs().Name, err)
		}
		removed = append(removed, p)
	}
	for _, g := range gateways {
		if present[g] {
			continue
		}
		addr := &netlink.Addr{IPNet: netspec.IPNet(g)}
		if g.Addr().Is6() {
			// Pods use the gateway at once; DAD would keep it tentative for a second.
			addr.Flags = unix.IFA_F_NODAD
		}
		if err := h.AddrAdd(link, addr); err != nil && !errors.Is(err, unix.EEXIST) {
			return added, removed, fmt.Errorf("add gateway %s to bridge %s: %w", g, link.Attrs().Name, err)
		}
		added = append(added, g)
	}
	return added, removed, nil
}

func globalPrefixes(addrs []netlink.Addr) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(addrs))
	for _, a := range addrs {
		if p, _ := netspec.PrefixOf(a.IPNet); !p.Addr().IsLinkLocalUnicast() {
			out = append(out, p)
		}
	}
	return out
}

// addrList dumps the link's addresses. A dump that the kernel marks interrupted (addresses
// changed meanwhile, e.g. pods' veths coming up) is retried, and after a few tries used as
// it is: Ensure only adds what is missing and removes what is not a gateway, which stays
// right for any address the dump shows.
func addrList(h *netlink.Handle, link netlink.Link) ([]netlink.Addr, error) {
	for attempt := 1; ; attempt++ {
		var addrs []netlink.Addr
		var err error
		if h == nil {
			addrs, err = rtnl.AddrList(link.Attrs().Index)
		} else {
			addrs, err = h.AddrList(link, netlink.FAMILY_ALL)
		}
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return addrs, err
		}
		if attempt == 5 {
			return addrs, nil
		}
	}
}

// StableMAC is a locally administered unicast MAC that depends only on seed. The bridge's
// seed is its name, so a re-created bridge keeps the address pods have in their neighbour
// caches; the pod veths' are their attachments (internal/dataplane/podveth).
func StableMAC(seed string) net.HardwareAddr {
	sum := sha256.Sum256([]byte(seed))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&^0x01 | 0x02
	return mac
}

// Gateways returns the gateway prefix of each pod CIDR: its first address (.1 / ::1) with
// the CIDR's length.
func Gateways(podCIDRs []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(podCIDRs))
	for _, c := range podCIDRs {
		out = append(out, netip.PrefixFrom(c.Masked().Addr().Next(), c.Bits()))
	}
	return out
}
