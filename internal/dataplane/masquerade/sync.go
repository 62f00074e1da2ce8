package masquerade

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"sigs.k8s.io/knftables"
)

// Masquerader applies Configs to the `inet dualnet` table through nft.
type Masquerader struct {
	nft knftables.Interface
}

// New works on nft, which must be bound to family inet and table TableName
// (knftables.NewFake(knftables.InetFamily, TableName) in unit tests).
func New(nft knftables.Interface) *Masquerader { return &Masquerader{nft: nft} }

// Sync makes the table hold exactly c. It reports whether it changed anything: a table that
// already matches is left alone, so a restarted agent causes no rule churn.
func (m *Masquerader) Sync(ctx context.Context, c Config) (changed bool, err error) {
	if err := c.Validate(); err != nil {
		return false, err
	}
	want := desiredFor(c)
	have, err := m.read(ctx)
	if err == nil && have.matches(want) {
		return false, nil
	}
	tx := m.nft.NewTransaction()
	tx.Add(&knftables.Table{Comment: knftables.PtrTo("dualnet: SNAT of pod egress to the node IP")})
	tx.Add(&knftables.Chain{
		Name:     chainName,
		Type:     knftables.PtrTo(knftables.NATType),
		Hook:     knftables.PtrTo(knftables.PostroutingHook),
		Priority: knftables.PtrTo(knftables.SNATPriority),
	})
	tx.Flush(&knftables.Chain{Name: chainName})
	for _, chain := range have.chains {
		if chain != chainName {
			tx.Flush(&knftables.Chain{Name: chain})
			tx.Delete(&knftables.Chain{Name: chain})
		}
	}
	for _, name := range have.setNames {
		if _, ok := want.sets[name]; !ok {
			tx.Delete(&knftables.Set{Name: name})
		}
	}
	for _, name := range want.setNames() {
		tx.Add(&knftables.Set{Name: name, Type: setType(name), Flags: []knftables.SetFlag{knftables.IntervalFlag}})
		tx.Flush(&knftables.Set{Name: name})
		for _, p := range want.sets[name] {
			tx.Add(&knftables.Element{Set: name, Key: []string{p.String()}})
		}
	}
	for _, r := range want.rules {
		tx.Add(r)
	}
	if err := m.nft.Run(ctx, tx); err != nil {
		return false, fmt.Errorf("apply nftables table inet %s: %w", TableName, err)
	}
	return true, nil
}

// Cleanup removes the table and everything in it; a missing table is not an error.
func (m *Masquerader) Cleanup(ctx context.Context) error {
	if _, err := m.nft.List(ctx, "chain"); knftables.IsNotFound(err) {
		return nil
	}
	tx := m.nft.NewTransaction()
	tx.Delete(&knftables.Table{})
	if err := m.nft.Run(ctx, tx); err != nil && !knftables.IsNotFound(err) {
		return fmt.Errorf("delete nftables table inet %s: %w", TableName, err)
	}
	return nil
}

func setType(name string) string {
	for _, f := range families {
		if name == f.podSet() || name == f.noMasqSet() {
			return f.addrType
		}
	}
	panic("masquerade: unknown set " + name)
}

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
