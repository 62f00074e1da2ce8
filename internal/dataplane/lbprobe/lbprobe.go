package lbprobe

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/knftables"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// TableName is the package's nftables table (family ip6) on the node.
const TableName = "dualnet-lb-probe"

var (
	// ProbeSource is where Azure Load Balancer's IPv6 health probes come from.
	ProbeSource = netip.MustParseAddr("fe80::1234:5678:9abc")
	// GlobalSource is what the node makes of it: the address AKS nodes use (AgentBaker's
	// parts/linux/cloud-init/artifacts/ipv6_nftables), from Azure's own range.
	GlobalSource = netip.MustParseAddr("2603:1062:0:1:fe80:1234:5678:9abc")
)

// Sync keeps the rewrite of probes arriving on uplink when enabled, and removes the table
// when not (the agent's --fix-azure-lb-ipv6-probe=false, or a node without IPv6). It reports
// whether it changed anything. Every nft process runs inside the node's namespace.
func Sync(ctx context.Context, n nodens.Namespace, uplink string, enabled bool) (changed bool, err error) {
	err = n.Do(func() error {
		nft, err := knftables.New(knftables.IPv6Family, TableName)
		if err != nil {
			return fmt.Errorf("nftables (is the nft command, nftables >= 1.0.1, installed?): %w", err)
		}
		changed, err = sync(ctx, nft, uplink, enabled)
		return err
	})
	return changed, err
}

const (
	inChain  = "prerouting"
	outChain = "postrouting"
)

// rules are the table's rules, chain by chain. Their comments say what they do and carry the
// uplink, so that comparing comments tells whether the table is as wanted; a change to a rule
// changes its comment too, so that an upgraded agent writes the table again.
//
// Every IPv6 packet the node forwards passes both chains (one it receives, the first; one it
// sends, the second), so each rule tests the address first: a 16-byte compare that fails for
// all but the probes, where the interface name (which nft copies out of the device on every
// test) would pass for most packets.
func rules(uplink string) []*knftables.Rule {
	return []*knftables.Rule{
		{Chain: inChain, Rule: knftables.Concat("ip6 saddr", ProbeSource, "iifname", fmt.Sprintf("%q", uplink),
			"meta l4proto tcp ip6 saddr set", GlobalSource),
			Comment: knftables.PtrTo(fmt.Sprintf("Azure LB IPv6 probe in on %s: given a global source, which may be forwarded to a pod", uplink))},
		{Chain: outChain, Rule: knftables.Concat("ip6 daddr", GlobalSource, "oifname", fmt.Sprintf("%q", uplink),
			"meta l4proto tcp ip6 daddr set", ProbeSource),
			Comment: knftables.PtrTo(fmt.Sprintf("Azure LB IPv6 probe answer out on %s: sent back to the probe's own address", uplink))},
	}
}

func sync(ctx context.Context, nft knftables.Interface, uplink string, enabled bool) (bool, error) {
	chains, err := nft.List(ctx, "chain")
	exists := err == nil
	if err != nil && !knftables.IsNotFound(err) {
		return false, fmt.Errorf("list nftables table ip6 %s: %w", TableName, err)
	}
	if !enabled {
		if !exists {
			return false, nil
		}
		tx := nft.NewTransaction()
		tx.Delete(&knftables.Table{})
		if err := nft.Run(ctx, tx); err != nil && !knftables.IsNotFound(err) {
			return false, fmt.Errorf("delete nftables table ip6 %s: %w", TableName, err)
		}
		return true, nil
	}
	want := rules(uplink)
	if exists && asWanted(ctx, nft, chains, want) {
		return false, nil
	}
	tx := nft.NewTransaction()
	tx.Add(&knftables.Table{})
	tx.Delete(&knftables.Table{})
	tx.Add(&knftables.Table{Comment: knftables.PtrTo("dualnet: Azure Load Balancer IPv6 health probes, as AKS nodes rewrite them")})
	tx.Add(&knftables.Chain{Name: inChain, Type: knftables.PtrTo(knftables.FilterType),
		Hook: knftables.PtrTo(knftables.PreroutingHook), Priority: knftables.PtrTo(knftables.RawPriority)})
	tx.Add(&knftables.Chain{Name: outChain, Type: knftables.PtrTo(knftables.FilterType),
		Hook: knftables.PtrTo(knftables.PostroutingHook), Priority: knftables.PtrTo(knftables.RawPriority)})
	for _, r := range want {
		tx.Add(r)
	}
	if err := nft.Run(ctx, tx); err != nil {
		return false, fmt.Errorf("apply nftables table ip6 %s: %w", TableName, err)
	}
	return true, nil
}

// asWanted says whether the table holds exactly the wanted chains and rules.
func asWanted(ctx context.Context, nft knftables.Interface, chains []string, want []*knftables.Rule) bool {
	slices.Sort(chains)
	if !slices.Equal(chains, []string{outChain, inChain}) {
		return false
	}
	for _, chain := range chains {
		have, err := nft.ListRules(ctx, chain)
		if err != nil {
			return false
		}
		var haveComments, wantComments []string
		for _, r := range have {
			haveComments = append(haveComments, ptr.Deref(r.Comment, ""))
		}
		for _, r := range want {
			if r.Chain == chain {
				wantComments = append(wantComments, *r.Comment)
			}
		}
		if !slices.Equal(haveComments, wantComments) {
			return false
		}
	}
	return true
}
