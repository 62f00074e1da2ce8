package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// checkMTU keeps the MTU in what Linux accepts for a veth carrying the configured families.
func checkMTU(mtu int, cidrs []netip.Prefix) error {
	min := 68 // RFC 791 minimum for IPv4
	for _, p := range cidrs {
		if p.Addr().Is6() {
			min = 1280 // RFC 8200: IPv6 links must carry 1280 bytes
		}
	}
	if mtu < min || mtu > 65535 {
		return invalid(fmt.Sprintf("mtu: %d is outside %d..65535", mtu, min))
	}
	return nil
}

// checkIfName applies the kernel's interface name rules (dev_valid_name).
func checkIfName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("is empty")
	case len(name) > 15:
		return fmt.Errorf("is longer than 15 bytes (IFNAMSIZ)")
	case name == "." || name == "..":
		return fmt.Errorf("is not a valid interface name")
	case strings.ContainsAny(name, "/: \t\n\x00"):
		return fmt.Errorf("contains '/', ':', NUL or whitespace, which interface names cannot")
	}
	return nil
}
