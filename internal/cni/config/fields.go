package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// parsePodCIDRs checks the node's pod ranges: at most one per family, each a masked
// prefix with room for the gateway (.1 / ::1) and at least one pod. The result is IPv4 first.
func parsePodCIDRs(raw []string) ([]netip.Prefix, error) {
	if len(raw) > 2 {
		return nil, invalid(fmt.Sprintf("podCIDRs: %d ranges given; at most one IPv4 and one IPv6", len(raw)))
	}
	var v4, v6 netip.Prefix
	for _, s := range raw {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, invalid(fmt.Sprintf("podCIDRs: %q is not a CIDR: %v", s, err))
		}
		if p.Addr().Zone() != "" || p.Addr().Is4In6() {
			return nil, invalid(fmt.Sprintf("podCIDRs: %q must be a plain IPv4 or IPv6 range", s))
		}
		if p.Masked() != p {
			return nil, invalid(fmt.Sprintf("podCIDRs: %q has host bits set; the range is %s", s, p.Masked()))
		}
		if p.Addr().Is4() {
			if v4.IsValid() {
				return nil, invalid(fmt.Sprintf("podCIDRs: %s and %s are both IPv4; give one range per family", v4, p))
			}
			if p.Bits() > 30 {
				return nil, invalid(fmt.Sprintf("podCIDRs: %s is smaller than /30; it has no room for the gateway .1 and a pod", p))
			}
			v4 = p
			continue
		}
		if v6.IsValid() {
			return nil, invalid(fmt.Sprintf("podCIDRs: %s and %s are both IPv6; give one range per family", v6, p))
		}
		if p.Bits() > 126 {
			return nil, invalid(fmt.Sprintf("podCIDRs: %s is smaller than /126; it has no room for the gateway ::1 and a pod", p))
		}
		v6 = p
	}
	var out []netip.Prefix
	for _, p := range []netip.Prefix{v4, v6} {
		if p.IsValid() {
			out = append(out, p)
		}
	}
	return out, nil
}

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
