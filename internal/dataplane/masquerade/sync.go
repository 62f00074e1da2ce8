package masquerade

import (
	"context"
	"fmt"

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
