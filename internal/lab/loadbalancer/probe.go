package loadbalancer

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
)

// prober sends health probes from the vnet namespace, from Azure's probe source of the
// target's family, out of the nodes' link.
type prober struct {
	netns   ns.NetNS
	bridge  string
	timeout time.Duration
}

// probe is one probe of t: a TCP connect, or an HTTP(S) GET answered 200. Azure marks a
// backend down on any other status or a reset, and does not check certificates.
func (p prober) probe(ctx context.Context, t target) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	conn, err := p.dial(ctx, t)
	if err != nil {
		return err
	}
	defer conn.Close()
	if t.probe.Protocol == ProbeTCP {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if t.probe.Protocol == ProbeHTTPS {
		tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // Azure's HTTPS probes do not verify either
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		conn = tc
	}
	host := netip.AddrPortFrom(t.addr, uint16(t.probe.Port)).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+t.probe.Path, nil)
	if err != nil {
		return err
	}
	req.Close = true
	if err := req.Write(conn); err != nil {
		return fmt.Errorf("HTTP request: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return fmt.Errorf("HTTP response: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// dial connects from the probe source in the vnet namespace: the socket is made on a thread
// in it and keeps that namespace. The IPv6 source is link-local, so it names the link.
func (p prober) dial(ctx context.Context, t target) (net.Conn, error) {
	src := &net.TCPAddr{IP: ProbeSourceIPv4.AsSlice()}
	if t.addr.Is6() {
		src = &net.TCPAddr{IP: ProbeSourceIPv6.AsSlice(), Zone: p.bridge}
	}
	dst := net.JoinHostPort(t.addr.String(), strconv.Itoa(int(t.probe.Port)))
	var conn net.Conn
	err := p.netns.Do(func(ns.NetNS) error {
		var err error
		conn, err = (&net.Dialer{LocalAddr: src}).DialContext(ctx, "tcp", dst)
		return err
	})
	return conn, err
}
