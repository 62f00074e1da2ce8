package netspec

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseNodeCIDRs checks one node's pod CIDRs, as a list names them (a Node's spec.podCIDRs,
// the CNI conflist's podCIDRs), by the rules the spec holds its ranges to: at most one range
// per family, IPv4 first and never IPv6 alone (the --ip-families rule), each a plain CIDR
// with no host bits set (the --pod-cidrs rules) and with room for the bridge gateway and a
// pod (the node mask rule). field names the list; each error is a *FieldError whose Flag is
// field. An empty list is no error: a node has no pod CIDR until one is assigned.
func ParseNodeCIDRs(field string, raw []string) ([]netip.Prefix, error) {
	if len(raw) > 2 {
		return nil, &FieldError{Flag: field, Msg: fmt.Sprintf("%d ranges given; a node has at most one per family", len(raw)),
			Hint: "give its IPv4 range, then its IPv6 range"}
	}
	cidrs := make([]netip.Prefix, 0, len(raw))
	for _, s := range raw {
		p, err := parseCIDR(field, strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		if err := nodeMaskRoom(field, p.String(), FamilyOf(p), p.Bits()); err != nil {
			return nil, err
		}
		cidrs = append(cidrs, p)
	}
	if err := nodeFamilyOrder(field, cidrs); err != nil {
		return nil, err
	}
	return cidrs, nil
}

// nodeFamilyOrder holds a node's ranges to the families AKS's kubenet mode has: ipv4, or
// ipv4,ipv6 in that order (parseFamilies).
func nodeFamilyOrder(field string, cidrs []netip.Prefix) *FieldError {
	switch {
	case len(cidrs) == 1 && FamilyOf(cidrs[0]) == IPv6:
		return &FieldError{Flag: field, Msg: fmt.Sprintf("%s alone: IPv6-only clusters are not supported in AKS dual-stack kubenet mode", cidrs[0]),
			Hint: "give the node's IPv4 range first"}
	case len(cidrs) < 2:
		return nil
	case FamilyOf(cidrs[0]) == FamilyOf(cidrs[1]):
		return &FieldError{Flag: field, Msg: fmt.Sprintf("%s and %s are both %s", cidrs[0], cidrs[1], FamilyOf(cidrs[0])),
			Hint: "give one range per family, IPv4 first"}
	case FamilyOf(cidrs[0]) == IPv6:
		return &FieldError{Flag: field, Msg: fmt.Sprintf("the IPv6 range %s comes before the IPv4 range %s: IPv6 as the first family is not supported in AKS dual-stack kubenet mode", cidrs[0], cidrs[1]),
			Hint: "list IPv4 first, as --ip-families ipv4,ipv6 orders them"}
	}
	return nil
}

// nodeMaskRoom: a node's pod CIDR of mask bits needs room for the bridge gateway and at
// least one pod, so at most a /30 or a /126. what is the value the error names.
func nodeMaskRoom(flag, what string, f Family, mask int) *FieldError {
	largest := f.Bits() - 2
	if mask <= largest {
		return nil
	}
	return &FieldError{Flag: flag, Msg: fmt.Sprintf("%s leaves no room for the bridge gateway and a pod", what),
		Hint: fmt.Sprintf("use /%d or shorter (the default is /%d)", largest, defaultNodeMask(f))}
}
