package cni

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
	"github.com/dualnet/dualnet/internal/podipam"
)

// nftTimeout bounds the nft run that writes the anti-spoofing ruleset (the first ADD of a
// node) or lists it (CHECK, GC); a wedged nft must not wedge pod start.
const nftTimeout = 20 * time.Second

// attachment is what ADD builds and the result reports.
type attachment struct {
	key      podipam.Key
	hostVeth string
	addrs    []netip.Addr   // IPv4 first
	cidrs    []netip.Prefix // the pod CIDR of each address
}

func cmdAdd(args *Args) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), nftTimeout)
	defer cancel()
	conf, err := config.Parse(args.StdinData)
	if err != nil {
		return err
	}
	if err := conf.RequireRanges(); err != nil {
		return err
	}
	key, err := attachmentOf(args)
	if err != nil {
		return err
	}
	hook := newPauseHook(args.Args)
	podNS, err := openPodNS(args.Netns)
	if err != nil {
		return err
	}
	defer podNS.Close()

	store, err := podipam.Open(conf.StoreDir(), conf.PodCIDRs)
	if err != nil {
		return err
	}
	podveth.HandleEarlierBoot(ctx, store)
	seen, err := bridge.Look(nil, conf.Bridge)
	if err != nil {
		return err
	}
	if err := keepGateways(conf, store, seen); err != nil {
		return err
	}
	addrs, err := store.Allocate(key)
	if err != nil {
		return allocationError(err)
	}
	hook.reached("allocated")
	defer func() {
		if err != nil { // leave nothing half-built; DEL would do the same, but may never come
			_ = teardown(conf, key)
		}
	}()

	gateways := bridge.Gateways(conf.PodCIDRs)
	a := &attachment{key: key, hostVeth: podveth.HostName(key), addrs: addrs, cidrs: conf.PodCIDRs}
	br, err := ensureBridge(conf, seen)
	if err != nil {
		return err
	}
	ix, err := createVeth(a, br, podNS, conf)
	if err != nil {
		return err
	}
	hook.reached("veth")
	// Until the port is registered, the anti-spoofing rules drop everything it sends.
	pod := antispoof.Pod{Index: ix.host, MAC: podveth.PodMAC(key), Addrs: addrs}
	if err := antispoof.Install(ctx, pod, podveth.LivePods(store)); err != nil {
		return fmt.Errorf("anti-spoofing rules for %s: %w", a.hostVeth, err)
	}
	hook.reached("registered")
	if err := inPodNS(podNS, "configuring "+args.IfName, func() error { return configurePod(a, args.IfName, ix.pod, gateways) }); err != nil {
		return err
	}
	hook.reached("configured")
	hook.reached("done")
	return printResult(os.Stdout, a.result(conf, br.Attrs().HardwareAddr.String(), args.IfName, args.Netns, gateways), conf.CNIVersion)
}

// ensureBridge makes the bridge as the config wants it, from what bridge.Look read. An
// existing bridge keeps its MTU: the agent sets it (the uplink's), and running pods' traffic
// crosses it. The config's MTU makes a missing bridge, and the pod's veth.
func ensureBridge(conf *config.Config, seen bridge.Seen) (netlink.Link, error) {
	mtu := conf.MTU
	if seen.Link != nil {
		mtu = 0
	}
	return bridge.EnsureSeen(nil, seen, conf.Bridge, bridge.Gateways(conf.PodCIDRs), mtu)
}
