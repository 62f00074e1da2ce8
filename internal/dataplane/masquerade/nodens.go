package masquerade

import (
	"context"
	"fmt"

	"sigs.k8s.io/knftables"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// NewIn is New on the real nft binary inside the node's namespace: every nft process is
// started from a thread locked into that namespace, so it sees the node's tables.
func NewIn(n nodens.Namespace) (*Masquerader, error) {
	var nft knftables.Interface
	err := n.Do(func() error {
		var err error
		nft, err = knftables.New(knftables.InetFamily, TableName)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("nftables (is the nft command, nftables >= 1.0.1, installed?): %w", err)
	}
	return New(inNamespace{nft: nft, ns: n}), nil
}

// inNamespace runs each knftables call inside the namespace.
type inNamespace struct {
	nft knftables.Interface
	ns  nodens.Namespace
}

func (i inNamespace) NewTransaction() *knftables.Transaction { return i.nft.NewTransaction() }

func (i inNamespace) Run(ctx context.Context, tx *knftables.Transaction) error {
	return i.ns.Do(func() error { return i.nft.Run(ctx, tx) })
}

func (i inNamespace) Check(ctx context.Context, tx *knftables.Transaction) error {
	return i.ns.Do(func() error { return i.nft.Check(ctx, tx) })
}

func (i inNamespace) ListAll(ctx context.Context) (out map[string][]string, err error) {
	err = i.ns.Do(func() error { out, err = i.nft.ListAll(ctx); return err })
	return out, err
}

func (i inNamespace) List(ctx context.Context, objectType string) (out []string, err error) {
	err = i.ns.Do(func() error { out, err = i.nft.List(ctx, objectType); return err })
	return out, err
}

func (i inNamespace) ListRules(ctx context.Context, chain string) (out []*knftables.Rule, err error) {
	err = i.ns.Do(func() error { out, err = i.nft.ListRules(ctx, chain); return err })
	return out, err
}

func (i inNamespace) ListElements(ctx context.Context, objectType, name string) (out []*knftables.Element, err error) {
	err = i.ns.Do(func() error { out, err = i.nft.ListElements(ctx, objectType, name); return err })
	return out, err
}

func (i inNamespace) ListCounters(ctx context.Context) (out []*knftables.Counter, err error) {
	err = i.ns.Do(func() error { out, err = i.nft.ListCounters(ctx); return err })
	return out, err
}
