package cni

import (
	"net/netip"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
	"github.com/dualnet/dualnet/internal/netspec"
)

// result is the ADD result: the bridge, the host end and the pod end, the pod's addresses
// (IPv4 first, as docs/cni-contract.md promises) and its default routes.
func (a *attachment) result(conf *config.Config, bridgeMAC, ifName, netns string, gateways []netip.Prefix) *current.Result {
	r := &current.Result{
		CNIVersion: current.ImplementedSpecVersion,
		Interfaces: []*current.Interface{
			{Name: conf.Bridge, Mac: bridgeMAC},
			{Name: a.hostVeth, Mac: podveth.HostMAC(a.key).String()},
			{Name: ifName, Mac: podveth.PodMAC(a.key).String(), Sandbox: netns},
		},
	}
	for i, addr := range a.addrs {
		gw := gateways[i].Addr()
		r.IPs = append(r.IPs, &current.IPConfig{
			Interface: current.Int(2),
			Address:   *netspec.IPNet(netip.PrefixFrom(addr, a.cidrs[i].Bits())),
			Gateway:   gw.AsSlice(),
		})
		r.Routes = append(r.Routes, &types.Route{Dst: *defaultDst(gw), GW: gw.AsSlice()})
	}
	return r
}
