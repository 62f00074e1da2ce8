package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"

	"github.com/dualnet/dualnet/internal/netns"
)

// relayAPIServer makes the kube-apiserver, which runs in the control-plane namespace, reachable
// on the host's loopback for what runs there: the user's kubectl and the kubectl with which the
// lab installs dualnet and its add-ons (dualnet's own components run as pods on the nodes and
// reach it on the virtual network). It listens on 127.0.0.1 in the host's namespace and
// forwards each connection to serverAddr, dialled from inside the control-plane namespace. TLS
// passes through, and the certificate names 127.0.0.1. It is a socket, not a link: nothing
// changes in the host's network. It returns the relay's URL and runs until ctx ends.
func relayAPIServer(ctx context.Context, cpNetns, serverURL string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("relay the API server: server URL %q has no host:port", serverURL)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("relay the API server: listen on the host's loopback: %w", err)
	}
	context.AfterFunc(ctx, func() { l.Close() })
	dial := netns.At(cpNetns).DialContext
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // closed: ctx ended
			}
			go relayConn(ctx, c, dial, u.Host)
		}
	}()
	return "https://" + l.Addr().String(), nil
}

// relayConn copies both ways between a client in the namespace and the API server until either
// side closes or ctx ends.
func relayConn(ctx context.Context, client net.Conn, dial func(context.Context, string, string) (net.Conn, error), addr string) {
	server, err := dial(ctx, "tcp", addr)
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
