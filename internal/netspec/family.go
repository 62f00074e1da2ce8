package netspec

import (
	"fmt"
	"net/netip"
	"strings"
)

// Family is an IP family with the names AKS's --ip-families flag uses.
type Family string

const (
	IPv4 Family = "ipv4"
	IPv6 Family = "ipv6"
)

// String returns the name a person reads in a table: IPv4 or IPv6.
func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return string(f)
}

// Bits is the address length of the family.
func (f Family) Bits() int {
	if f == IPv6 {
		return 128
	}
	return 32
}

// FamilyOf says which family an address range belongs to.
func FamilyOf(p netip.Prefix) Family {
	return FamilyOfAddr(p.Addr())
}

// FamilyOfAddr says which family an address belongs to.
func FamilyOfAddr(a netip.Addr) Family {
	if a.Is4() {
		return IPv4
	}
	return IPv6
}

// parseFamilies reads --ip-families. AKS accepts only "ipv4" and "ipv4,ipv6": IPv6-only and
// IPv6-first clusters are not supported in kubenet mode, and dualnet follows that rule.
func parseFamilies(value string) ([]Family, error) {
	const flag = "--ip-families"
	items := splitList(value)
	if len(items) == 0 {
		return nil, &FieldError{Flag: flag, Msg: "is empty", Hint: "use ipv4 or ipv4,ipv6"}
	}
	var families []Family
	seen := map[Family]bool{}
	for _, item := range items {
		f := Family(strings.ToLower(item))
		if f != IPv4 && f != IPv6 {
			return nil, &FieldError{Flag: flag, Msg: fmt.Sprintf("%q is not an IP family", item), Hint: "use ipv4 or ipv4,ipv6"}
		}
		if seen[f] {
			return nil, &FieldError{Flag: flag, Msg: fmt.Sprintf("%q is listed twice in %q", item, value), Hint: "use ipv4 or ipv4,ipv6"}
		}
		seen[f] = true
		families = append(families, f)
	}
	if families[0] == IPv6 {
		what := "IPv6-only clusters are"
		if len(families) > 1 {
			what = "IPv6 as the first family is"
		}
		return nil, &FieldError{Flag: flag, Msg: fmt.Sprintf("%q: %s not supported in AKS dual-stack kubenet mode", value, what), Hint: "use ipv4,ipv6"}
	}
	return families, nil
}

// splitList splits a comma-separated flag value, dropping blanks around items.
func splitList(value string) []string {
	var items []string
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// JoinFamilies writes families as --ip-families takes them ("ipv4,ipv6").
func JoinFamilies(families []Family) string {
	names := make([]string, len(families))
	for i, f := range families {
		names[i] = string(f)
	}
	return strings.Join(names, ",")
}
