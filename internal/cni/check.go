package cni

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/podipam"
)

// cmdCheck compares what lives in the kernel and in the store with prevResult.
func cmdCheck(args *Args) error {
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
	key, err := attachmentOf(args)
	if err != nil {
		return err
	}
	podNS, err := openPodNS(args.Netns)
	if err != nil {
		return err
	}
	defer podNS.Close()
	if err := checkStore(conf, key, prev); err != nil {
		return err
	}
	index, err := checkHostVeth(conf, podveth.HostName(key))
	if err != nil {
		return err
	}
	if err := checkRules(podveth.HostName(key), index, prev); err != nil {
		return err
	}
	return inPodNS(podNS, "checking "+args.IfName+" and the routes against prevResult", func() error {
		if err := checkPodAddrs(args.IfName, prev.IPs); err != nil {
			return err
		}
		return checkPodRoutes(prev.Routes)
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
	held := addrSet(addrs)
	for a := range prevAddrs(prev) {
		if !held[a] {
			return fmt.Errorf("address store %s: %s holds %v, not %s from prevResult", conf.StoreDir(), key, addrs, a)
		}
	}
	return nil
}

// checkHostVeth checks the host end and returns its interface index.
func checkHostVeth(conf *config.Config, name string) (int, error) {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return 0, fmt.Errorf("host veth %s: %w", name, err)
	}
	br, err := netlink.LinkByName(conf.Bridge)
	if err != nil {
		return 0, fmt.Errorf("bridge %s: %w", conf.Bridge, err)
	}
	if link.Attrs().MasterIndex != br.Attrs().Index {
		return 0, fmt.Errorf("host veth %s is not a port of bridge %s", name, conf.Bridge)
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		return 0, fmt.Errorf("host veth %s is down", name)
	}
	return link.Attrs().Index, nil
}

// checkRules checks that the pod's port is registered with exactly the addresses of
// prevResult.
func checkRules(veth string, index int, prev *current.Result) error {
	ctx, cancel := context.WithTimeout(context.Background(), nftTimeout)
	defer cancel()
	pods, err := antispoof.Pods(ctx)
	if err != nil {
		return err
	}
	pod := pods[index]
	if !pod.Port {
		return fmt.Errorf("anti-spoofing: port %s is not registered in table bridge %s", veth, antispoof.Table)
	}
	if pod.MAC.String() != prevMAC(prev) {
		return fmt.Errorf("anti-spoofing: port %s may send from MAC %q, prevResult has %q", veth, pod.MAC, prevMAC(prev))
	}
	want := antispoof.Pod{MAC: pod.MAC, Addrs: slices.Collect(maps.Keys(prevAddrs(prev)))}.Sources()
	if !maps.Equal(addrSet(pod.Addrs), addrSet(want)) {
		return fmt.Errorf("anti-spoofing: port %s may send from %v, want %v (prevResult's addresses and the IPv6 link-local address)", veth, pod.Addrs, want)
	}
	// The pod's elements do nothing without the rules that read them (a flushed chain).
	what, err := antispoof.Damage(ctx)
	if err != nil {
		return err
	}
	if what != "" {
		return fmt.Errorf("anti-spoofing: %s", what)
	}
	return nil
}

// prevAddrs are the pod's addresses in prevResult.
func prevAddrs(prev *current.Result) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	for _, c := range prev.IPs {
		if a := netspec.AddrOf(c.Address.IP); a.IsValid() {
			out[a] = true
		}
	}
	return out
}

func addrSet(addrs []netip.Addr) map[netip.Addr]bool {
	out := make(map[netip.Addr]bool, len(addrs))
	for _, a := range addrs {
		out[a] = true
	}
	return out
}

// prevMAC is the pod interface's MAC in prevResult (the interface with a sandbox).
func prevMAC(prev *current.Result) string {
	for _, ifc := range prev.Interfaces {
		if ifc.Sandbox != "" {
			return ifc.Mac
		}
	}
	return ""
}
