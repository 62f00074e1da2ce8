package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
)

// relayAPIServer makes the kube-apiserver, which listens on the host's loopback, reachable at
// the same address on the loopback of the named namespace: it listens there and forwards each
// connection to the host's. A process that must run inside a node's namespace (kube-proxy,
// whose nftables rules and conntrack entries belong there) then uses the lab's kubeconfig
// unchanged: same URL, and TLS passes through, so the certificate's 127.0.0.1 still matches.
// It is a socket, not a link: pods cannot reach it (127.0.0.0/8 is never routed in from
// outside a namespace), and nothing changes in the host's network.
//
// The listener belongs to the namespace it was opened in (a socket keeps the namespace of its
// creation); the dial happens on an ordinary thread, in the host's namespace. It runs until
// ctx ends.
func relayAPIServer(ctx context.Context, netnsName, serverURL string) error {
	u, err := url.Parse(serverURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("relay the API server into %s: server URL %q has no host:port", netnsName, serverURL)
	}
	addr := u.Host
	var l net.Listener
	err = InNetns(netnsName, func() error {
		var err error
		l, err = net.Listen("tcp", addr)
		return err
	})
	if err != nil {
		return fmt.Errorf("relay the API server into %s: listen on %s there: %w", netnsName, addr, err)
	}
	context.AfterFunc(ctx, func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // closed: ctx ended
			}
			go relayConn(ctx, c, addr)
		}
	}()
	return nil
}

// relayConn copies both ways between a client in the namespace and the API server until either
// side closes or ctx ends.
func relayConn(ctx context.Context, client net.Conn, addr string) {
	var d net.Dialer
	server, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		client.Close()
		return
	}
	stop := context.AfterFunc(ctx, func() {
		client.Close()
		server.Close()
	})
	defer stop()
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		if _, err := io.Copy(dst, src); err != nil && !errors.Is(err, net.ErrClosed) {
			dst.Close()
			return
		}
		// Pass the half-close on, so a client that finished sending still gets its answer.
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}
	go pipe(server, client)
	go pipe(client, server)
	wg.Wait()
	client.Close()
	server.Close()
}
