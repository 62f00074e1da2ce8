package controlplane

import (
	"fmt"
	"net"
	"net/netip"
)

// freePort asks the kernel for a TCP port that is free on addr right now. Another process may
// take it before the component binds it; Start retries with new ports when that happens.
func freePort(addr netip.Addr) (uint16, error) {
	l, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", addr, err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}
