// Package nodens is the node's network namespace as the dataplane sees it: the agent's own one
// when it runs hostNetwork, or a namespace given by path (tests and the lab, where nodes are
// namespaces on one machine while the Kubernetes client stays in the host namespace).
// It must not hold any dataplane policy; it only says where work happens.
package nodens

import (
	"context"
	"fmt"
	"net"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Namespace is where the node's dataplane lives. The zero value is the caller's namespace.
type Namespace struct {
	path string
}

// Current is the namespace the process runs in (hostNetwork in a real cluster).
func Current() Namespace { return Namespace{} }

// At is the namespace bound at path (e.g. /run/netns/dn-node0); an empty path is Current.
func At(path string) Namespace { return Namespace{path: path} }

// Path is the namespace's path, empty for the current namespace.
func (n Namespace) Path() string { return n.path }

// String names the namespace for logs and errors.
func (n Namespace) String() string {
	if n.path == "" {
		return "current network namespace"
	}
	return "network namespace " + n.path
}

// Do runs fn on an OS thread inside the namespace, so that whatever fn opens or executes
// (a /proc/sys file, an nft child process) belongs to the node, not to the host.
func (n Namespace) Do(fn func() error) error {
	if n.path == "" {
		return fn()
	}
	err := ns.WithNetNSPath(n.path, func(ns.NetNS) error { return fn() })
	if err != nil {
		return fmt.Errorf("in %s: %w", n, err)
	}
	return nil
}

// DialContext connects from inside the namespace (127.0.0.1 is the namespace's loopback): the
// socket is made on a thread in it and keeps that namespace for its life. It fits
// http.Transport.DialContext.
func (n Namespace) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var conn net.Conn
	err := n.Do(func() error {
		var err error
		conn, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return conn, err
}

// Netlink opens a netlink handle bound to the namespace; the caller closes it. A handle needs
// no thread locking, unlike Do.
func (n Namespace) Netlink() (*netlink.Handle, error) {
	if n.path == "" {
		return netlink.NewHandle()
	}
	h, err := n.Handle()
	if err != nil {
		return nil, err
	}
	defer h.Close()
	handle, err := netlink.NewHandleAt(h)
	if err != nil {
		return nil, fmt.Errorf("netlink handle in %s: %w", n, err)
	}
	return handle, nil
}

// Handle opens the namespace, for netlink subscriptions (netlink.LinkSubscribeOptions'
// Namespace); the caller closes it.
func (n Namespace) Handle() (netns.NsHandle, error) {
	if n.path == "" {
		return netns.Get()
	}
	h, err := netns.GetFromPath(n.path)
	if err != nil {
		return netns.None(), fmt.Errorf("open %s: %w", n, err)
	}
	return h, nil
}
