package masquerade

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
)

// existing is what the kernel holds in the table, as far as Sync compares it.
type existing struct {
	chains, setNames []string
	comments         []string
	sets             map[string][]netip.Prefix
}

func (m *Masquerader) read(ctx context.Context) (existing, error) {
	var e existing
	var err error
	if e.chains, err = m.nft.List(ctx, "chain"); err != nil {
		return e, err
	}
	if e.setNames, err = m.nft.List(ctx, "set"); err != nil {
		return e, err
	}
	rules, err := m.nft.ListRules(ctx, chainName)
	if err != nil {
		return e, err
	}
	for _, r := range rules {
		e.comments = append(e.comments, deref(r.Comment))
	}
	e.sets = map[string][]netip.Prefix{}
	for _, name := range e.setNames {
		elems, err := m.nft.ListElements(ctx, "set", name)
		if err != nil {
			return e, err
		}
		for _, el := range elems {
			p, err := parseElement(el.Key)
			if err != nil {
				return e, fmt.Errorf("set %s: %w", name, err)
			}
			e.sets[name] = append(e.sets[name], p)
		}
	}
	return e, nil
}

func (e existing) matches(d desired) bool {
	if !slices.Equal(e.chains, []string{chainName}) {
		return false
	}
	names := slices.Clone(e.setNames)
	slices.Sort(names)
	if !slices.Equal(names, d.setNames()) {
		return false
	}
	want := make([]string, 0, len(d.rules))
	for _, r := range d.rules {
		want = append(want, deref(r.Comment))
	}
	if !slices.Equal(e.comments, want) {
		return false
	}
	for name, ps := range d.sets {
		got := collapse(slices.Clone(e.sets[name]))
		if !slices.Equal(got, ps) {
			return false
		}
	}
	return true
}

// parseElement reads a set key as nft lists it: "10.0.0.0/8", or a bare address for a
// full-length prefix.
func parseElement(key []string) (netip.Prefix, error) {
	if len(key) != 1 {
		return netip.Prefix{}, fmt.Errorf("element %v: want one prefix", key)
	}
	if p, err := netip.ParsePrefix(key[0]); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(key[0])
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("element %q is neither a prefix nor an address", key[0])
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
