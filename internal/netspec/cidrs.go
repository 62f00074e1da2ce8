package netspec

import (
	"fmt"
	"net/netip"
	"strings"
)

// JoinCIDRs writes a CIDR list the way the flags take it: comma-separated, in order.
func JoinCIDRs(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// parseCIDRList reads a comma-separated CIDR list whose count and family order must match
// --ip-families (an AKS rule: "The count and order of ranges in this list must match").
func parseCIDRList(flag, value string, families []Family) ([]netip.Prefix, error) {
	items := splitList(value)
	want := JoinFamilies(families)
	if len(items) != len(families) {
		return nil, &FieldError{Flag: flag,
			Msg:  fmt.Sprintf("%q has %d range(s) but --ip-families %s needs %d", value, len(items), want, len(families)),
			Hint: "give one range per family, in the order of --ip-families"}
	}
	list := make([]netip.Prefix, len(items))
	for i, item := range items {
		p, err := parseCIDR(flag, item)
		if err != nil {
			return nil, err
		}
		if FamilyOf(p) != families[i] {
			return nil, &FieldError{Flag: flag,
				Msg:  fmt.Sprintf("range %d, %s, is %s but --ip-families %s puts %s there", i+1, p, FamilyOf(p), want, families[i]),
				Hint: "give one range per family, in the order of --ip-families"}
		}
		list[i] = p
	}
	return list, nil
}

// parseCIDR reads one range in CIDR notation; the address must be the network address.
func parseCIDR(flag, s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, &FieldError{Flag: flag, Msg: fmt.Sprintf("%q is not a CIDR range", s),
			Hint: "write it like 10.244.0.0/16 or fd12:3456:789a::/64"}
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, &FieldError{Flag: flag, Msg: fmt.Sprintf("%s is an IPv4-mapped IPv6 range", s),
			Hint: fmt.Sprintf("write the IPv4 range instead, like %s", netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0)).Masked())}
	}
	if p.Masked() != p {
		return netip.Prefix{}, &FieldError{Flag: flag, Msg: fmt.Sprintf("%s has host bits set", s),
			Hint: fmt.Sprintf("did you mean %s?", p.Masked())}
	}
	return p, nil
}
