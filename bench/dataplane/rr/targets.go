package main

import (
	"fmt"
	"net/netip"
	"strings"
)

// target is one server to measure: the network namespace to connect from (a name under
// /run/netns or a path, empty for the client's own) and the server's address.
type target struct {
	netns string
	addr  netip.AddrPort
}

func (t target) String() string {
	if t.netns == "" {
		return t.addr.String()
	}
	return t.netns + "=" + t.addr.String()
}

// targets is the -to flag, given once per server.
type targets []target

func (ts *targets) String() string {
	var s []string
	for _, t := range *ts {
		s = append(s, t.String())
	}
	return strings.Join(s, " ")
}

// Set parses [NETNS=]ADDR:PORT, with an IPv6 address in brackets ([fd00::1]:5298).
func (ts *targets) Set(v string) error {
	var t target
	addr := v
	if ns, rest, ok := strings.Cut(v, "="); ok {
		if ns == "" {
			return fmt.Errorf("%q: the namespace before = is empty", v)
		}
		t.netns, addr = ns, rest
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("%q: want [NETNS=]ADDR:PORT, with an IPv6 address in brackets: %w", v, err)
	}
	if ap.Port() == 0 || ap.Addr().Zone() != "" {
		return fmt.Errorf("%q: want a port from 1 to 65535 and an address without a zone", v)
	}
	t.addr = ap
	*ts = append(*ts, t)
	return nil
}
