package cni

import (
	"context"
	"fmt"
	"net"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
	"github.com/containernetworking/plugins/pkg/ip"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"sigs.k8s.io/knftables"

	"github.com/dualnet/dualnet/internal/cni/antispoof"
	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/podipam"
)

// cmdCheck compares what lives in the kernel and in the store with prevResult.
func cmdCheck(args *skel.CmdArgs) error {
	conf, err := config.Parse(args.StdinData)
	if err != nil {
		return err
	}
	if err := conf.RequireRanges(); err != nil {
		return err
	}
	if conf.RawPrevResult == nil {
		return types.NewError(types.ErrInvalidNetworkConfig, "prevResult: missing; CHECK needs the ADD result", "")
	}
	if err := version.ParsePrevResult(&conf.PluginConf); err != nil {
		return types.NewError(types.ErrDecodingFailure, fmt.Sprintf("prevResult: %v", err), "")
	}
	prev, err := current.NewResultFromResult(conf.PrevResult)
	if err != nil {
		return types.NewError(types.ErrDecodingFailure, fmt.Sprintf("prevResult: %v", err), "")
	}
	key := podipam.Key{ContainerID: args.ContainerID, IfName: args.IfName}
	if err := checkStore(conf, key, prev); err != nil {
		return err
	}
	if err := checkHostVeth(conf, hostVethName(key)); err != nil {
		return err
	}
	if err := checkRules(hostVethName(key)); err != nil {
		return err
	}
	return ns.WithNetNSPath(args.Netns, func(ns.NetNS) error {
		if err := ip.ValidateExpectedInterfaceIPs(args.IfName, prev.IPs); err != nil {
			return fmt.Errorf("pod interface %s: %w", args.IfName, err)
		}
		if err := ip.ValidateExpectedRoute(prev.Routes); err != nil {
			return fmt.Errorf("pod routes: %w", err)
		}
		return nil
	})
}

func checkStore(conf *config.Config, key podipam.Key, prev *current.Result) error {
	store, err := podipam.Open(conf.StoreDir(), conf.PodCIDRs)
	if err != nil {
		return err
	}
	addrs, ok, err := store.Lookup(key)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("address store %s: no allocation for %s", conf.StoreDir(), key)
	}
	held := map[string]bool{}
	for _, a := range addrs {
		held[a.String()] = true
	}
	for _, c := range prev.IPs {
		if !held[c.Address.IP.String()] {
			return fmt.Errorf("address store %s: %s holds %v, not %s from prevResult", conf.StoreDir(), key, addrs, c.Address.IP)
		}
	}
	return nil
}

func checkHostVeth(conf *config.Config, name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("host veth %s: %w", name, err)
	}
	br, err := netlink.LinkByName(conf.Bridge)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", conf.Bridge, err)
	}
	if link.Attrs().MasterIndex != br.Attrs().Index {
		return fmt.Errorf("host veth %s is not a port of bridge %s", name, conf.Bridge)
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		return fmt.Errorf("host veth %s is down", name)
	}
	return nil
}

func checkRules(veth string) error {
	nft, err := knftables.New(knftables.BridgeFamily, antispoof.Table)
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	rules, err := nft.ListRules(context.Background(), antispoof.ChainName(veth))
	if err != nil {
		return fmt.Errorf("anti-spoofing chain %s: %w", antispoof.ChainName(veth), err)
	}
	if len(rules) == 0 {
		return fmt.Errorf("anti-spoofing chain %s is empty", antispoof.ChainName(veth))
	}
	return nil
}
