package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/dataplane/hostroutes"
)

// watchNetlink calls resync at once when the bridge, its addresses or routes, a host route
// or a running pod's place on the bridge change in the node's namespace (see bridgeWatch),
// until ctx ends.
func (a *Agent) watchNetlink(ctx context.Context, resync func()) {
	keepWatching(ctx, "bridge and routes", func(ctx context.Context) error { return a.watchBridgeAndRoutes(ctx, resync) }, resync)
}

// watchBridgeAndRoutes subscribes to the namespace's link, address and route updates and
// calls resync for those that concern the sync, until ctx ends (nil) or a subscription fails.
func (a *Agent) watchBridgeAndRoutes(ctx context.Context, resync func()) error {
	nsh, err := a.cfg.Namespace.Handle()
	if err != nil {
		return err
	}
	defer nsh.Close()
	var (
		mu      sync.Mutex
		lastErr error
	)
	onError := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		lastErr = err
	}
	ended := func(what string) error {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Errorf("%s updates in %s ended: %w", what, a.cfg.Namespace, errors.Join(lastErr, errors.New("subscription closed")))
	}
	done := make(chan struct{})
	// Each subscription's goroutine closes its channel once done is closed; draining them
	// lets it get there.
	var drains []func()
	defer func() {
		close(done)
		for _, drain := range drains {
			drain()
		}
	}()
	links := make(chan netlink.LinkUpdate, 256)
	if err := netlink.LinkSubscribeWithOptions(links, done, netlink.LinkSubscribeOptions{Namespace: &nsh, ErrorCallback: onError, ListExisting: true}); err != nil {
		return fmt.Errorf("subscribe to link updates in %s: %w", a.cfg.Namespace, err)
	}
	drains = append(drains, func() {
		for range links {
		}
	})
	addrs := make(chan netlink.AddrUpdate, 256)
	if err := netlink.AddrSubscribeWithOptions(addrs, done, netlink.AddrSubscribeOptions{Namespace: &nsh, ErrorCallback: onError}); err != nil {
		return fmt.Errorf("subscribe to address updates in %s: %w", a.cfg.Namespace, err)
	}
	drains = append(drains, func() {
		for range addrs {
		}
	})
	routes := make(chan netlink.RouteUpdate, 256)
	if err := netlink.RouteSubscribeWithOptions(routes, done, netlink.RouteSubscribeOptions{Namespace: &nsh, ErrorCallback: onError}); err != nil {
		return fmt.Errorf("subscribe to route updates in %s: %w", a.cfg.Namespace, err)
	}
	drains = append(drains, func() {
		for range routes {
		}
	})
	w := newBridgeWatch(a.cfg.Bridge)
	for {
		var concerns bool
		select {
		case <-ctx.Done():
			return nil
		case u, ok := <-links:
			if !ok {
				return ended("link")
			}
			concerns = w.link(u)
		case u, ok := <-addrs:
			if !ok {
				return ended("address")
			}
			concerns = w.addr(u.LinkIndex, u.LinkAddress.IP)
		case u, ok := <-routes:
			if !ok {
				return ended("route")
			}
			concerns = w.route(u.Route)
		}
		if concerns {
			resync()
		}
	}
}

// bridgeWatch picks, from the namespace's netlink updates, those that may be drift the sync
// repairs: the bridge deleted, created, set down or given another MTU; a global address of
// the bridge added or removed; a route through the bridge in the main table, or one of
// dualnet's host routes, added, changed or deleted; a running pod's host veth taken off the
// bridge. It ignores what comes and goes with pods, which would otherwise cost a whole sync
// per pod start: a veth created (its first update has no master yet), attached or deleted,
// and the bridge's carrier following its ports.
type bridgeWatch struct {
	name string
	// index, up and mtu are the bridge as last seen; index 0: there is none.
	index int
	up    bool
	mtu   int
	// ports are the host veths (by index) seen on the bridge.
	ports map[int]bool
}

func newBridgeWatch(name string) *bridgeWatch {
	return &bridgeWatch{name: name, ports: map[int]bool{}}
}

func (w *bridgeWatch) link(u netlink.LinkUpdate) bool {
	if u.Family == unix.AF_BRIDGE {
		// The bridge's own news of its ports (a DELLINK of this family is a port leaving,
		// not a link deleted); the same changes come as links' updates too.
		return false
	}
	l, deleted := u.Attrs(), u.Header.Type == unix.RTM_DELLINK
	if l.Name == w.name {
		if deleted {
			w.index = 0
			clear(w.ports)
			return true
		}
		up := l.Flags&net.FlagUp != 0
		changed := l.Index != w.index || up != w.up || l.MTU != w.mtu
		w.index, w.up, w.mtu = l.Index, up, l.MTU
		return changed || !up
	}
	if !strings.HasPrefix(l.Name, cnicontract.PortPrefix) {
		return false
	}
	wasOn := w.ports[l.Index]
	if deleted {
		delete(w.ports, l.Index)
		return false
	}
	if w.index != 0 && l.MasterIndex == w.index {
		w.ports[l.Index] = true
		return false
	}
	delete(w.ports, l.Index)
	return wasOn
}

// addr and route leave out the bridge's IPv6 link-local address and its route, which the
// kernel adds when the first pod's veth gives the bridge a carrier, and which dualnet leaves
// alone.
func (w *bridgeWatch) addr(linkIndex int, ip net.IP) bool {
	return w.index != 0 && linkIndex == w.index && !ip.IsLinkLocalUnicast()
}

func (w *bridgeWatch) route(r netlink.Route) bool {
	if r.Protocol == hostroutes.Protocol {
		return true
	}
	return w.index != 0 && r.LinkIndex == w.index && r.Table == unix.RT_TABLE_MAIN &&
		(r.Dst == nil || !r.Dst.IP.IsLinkLocalUnicast())
}
