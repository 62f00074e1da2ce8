package kernel

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/routes"
)

// Config says where the routes go.
type Config struct {
	// NetNS is the network namespace: a path (/proc/<pid>/ns/net, /run/netns/vnet), a
	// name under /run/netns (what `ip netns add` makes), or HostNetNS for this process's
	// own. It must be given: an empty value programming the host's main table by default
	// would be a mistake nobody sees until the host's routing changes.
	NetNS string
	// PodCIDRs are the cluster pod CIDRs: only routes inside them are dualnet's.
	PodCIDRs []netip.Prefix
}

// HostNetNS as Config.NetNS means this process's own network namespace (on a router that
// runs the controller itself, the host's main table). A namespace really named "host" is
// reached by its path, /run/netns/host.
const HostNetNS = "host"

// Errors of New that a caller maps to its own flags (the package knows none).
var (
	ErrNoNetNS    = errors.New(`no network namespace given: name one (under ` + netns.Dir + `), give its path, or "` + HostNetNS + `" for this process's own`)
	ErrNoPodCIDRs = errors.New("no cluster pod CIDRs: the kernel route backend needs them to tell its routes from others")
)

// Backend is the main table of one network namespace.
type Backend struct {
	cfg    Config
	ns     vnetns.NsHandle
	h      *netlink.Handle
	writes atomic.Int64
}

var _ routes.Backend = (*Backend)(nil)

// New opens the namespace; Close releases it. Its errors name no flag: callers add theirs.
func New(cfg Config) (*Backend, error) {
	if len(cfg.PodCIDRs) == 0 {
		return nil, ErrNoPodCIDRs
	}
	if cfg.NetNS == "" {
		return nil, ErrNoNetNS
	}
	b := &Backend{cfg: cfg, ns: vnetns.None()}
	var err error
	if cfg.NetNS == HostNetNS {
		b.h, err = netlink.NewHandle()
	} else {
		path := netns.Path(cfg.NetNS)
		if b.ns, err = vnetns.GetFromPath(path); err != nil {
			return nil, fmt.Errorf("network namespace %q: open %s: %w", cfg.NetNS, path, err)
		}
		b.h, err = netlink.NewHandleAt(b.ns)
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("network namespace %q: netlink: %w", cfg.NetNS, err)
	}
	return b, nil
}

// Close releases the namespace and the netlink socket.
func (b *Backend) Close() {
	if b.h != nil {
		b.h.Close()
	}
	if b.ns.IsOpen() {
		b.ns.Close()
	}
}

// Writes counts the routes replaced or deleted since New.
func (b *Backend) Writes() int { return int(b.writes.Load()) }

// Read lists the main table's routes with dualnet's protocol inside the pod CIDRs. They come
// back unnamed (the kernel keeps no names); the controller names them with routes.Adopt.
func (b *Backend) Read(context.Context) (routes.Table, error) {
	filter := &netlink.Route{Protocol: routes.KernelProtocol, Table: unix.RT_TABLE_MAIN}
	list, err := b.h.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
	if err != nil {
		return routes.Table{}, fmt.Errorf("list routes of protocol %d in %s: %w", routes.KernelProtocol, b.where(), err)
	}
	var t routes.Table
	for _, r := range list {
		if r.Dst == nil {
			continue
		}
		p, ok := netspec.PrefixOf(r.Dst)
		if !ok || !routes.Within(p, b.cfg.PodCIDRs) {
			continue
		}
		t.Routes = append(t.Routes, routes.Route{Prefix: p, NextHop: netspec.AddrOf(r.Gw)})
	}
	return t, nil
}

// Write deletes the removed routes and replaces the added and updated ones. A route the
// kernel refuses for what it holds (routeRefused) does not stop the others: those come back
// together in a *routes.PartialWriteError, and the next sync tries them again. Any other
// failure is the router's, not a node's, and fails the write.
func (b *Backend) Write(_ context.Context, _ routes.Table, plan routes.Plan) error {
	var partial routes.PartialWriteError
	var errs []error
	routerFailed := false
	for _, r := range plan.Removed {
		err := b.h.RouteDel(b.netlinkRoute(r))
		if err != nil && !errors.Is(err, unix.ESRCH) {
			routerFailed = true
			errs = append(errs, fmt.Errorf("delete route %s via %s in %s: %w", r.Prefix, r.NextHop, b.where(), err))
			continue
		}
		b.writes.Add(1)
	}
	for _, r := range append(append([]routes.Route(nil), plan.Updated...), plan.Added...) {
		if err := b.h.RouteReplace(b.netlinkRoute(r)); err != nil {
			err = fmt.Errorf("replace route %s via %s in %s: %w", r.Prefix, r.NextHop, b.where(), err)
			routerFailed = routerFailed || !routeRefused(err)
			partial.Failed = append(partial.Failed, routes.RouteError{Route: r, Err: err})
			errs = append(errs, err)
			continue
		}
		b.writes.Add(1)
	}
	if len(errs) == 0 {
		return nil
	}
	if routerFailed {
		return errors.Join(errs...)
	}
	return &partial
}

// routeRefused says whether the kernel refused a route for its next hop: one on none of the
// router's links is EINVAL ("Nexthop has invalid gateway") for IPv4 and EHOSTUNREACH for
// IPv6. That is the node's problem; EPERM, say, is the router's.
func routeRefused(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EHOSTUNREACH) || errors.Is(err, unix.ENETUNREACH)
}

func (b *Backend) netlinkRoute(r routes.Route) *netlink.Route {
	nr := &netlink.Route{
		Dst:      netspec.IPNet(r.Prefix),
		Protocol: routes.KernelProtocol,
		Table:    unix.RT_TABLE_MAIN,
	}
	if r.NextHop.IsValid() {
		nr.Gw = r.NextHop.AsSlice()
	}
	return nr
}

func (b *Backend) where() string {
	if b.cfg.NetNS == HostNetNS {
		return "this process's network namespace"
	}
	return "network namespace " + b.cfg.NetNS
}
