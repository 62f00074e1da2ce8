package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/routes"
	"github.com/dualnet/dualnet/internal/routes/kernel"
)

// mirror applies the route table to a namespace's kernel routes after every write, as Azure
// applies a subnet's route table to its traffic. Only VirtualAppliance routes inside the pod
// CIDRs are mirrored. It also re-applies on a timer, which repairs a failed apply and a route
// removed from the namespace by hand.
func mirror(ctx context.Context, srv *armemu.Server, o *options, podCIDRs []netip.Prefix) error {
	b, err := kernel.New(kernel.Config{NetNS: o.applyNetNS, PodCIDRs: podCIDRs})
	if errors.Is(err, kernel.ErrNoPodCIDRs) {
		return fmt.Errorf("--pod-cidrs: %w", err)
	}
	if err != nil {
		return fmt.Errorf("--apply-netns: %w", err)
	}
	defer b.Close()
	again := time.NewTicker(5 * time.Second)
	defer again.Stop()
	for {
		tbl, _ := srv.RouteTable(o.subscription, o.resourceGroup, o.routeTables[0])
		if err := apply(ctx, b, tbl, podCIDRs); err != nil {
			klog.ErrorS(err, "Mirroring the route table into the namespace", "netns", o.applyNetNS)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-srv.Changed():
		case <-again.C:
		}
	}
}

func apply(ctx context.Context, b *kernel.Backend, tbl armemu.Table, podCIDRs []netip.Prefix) error {
	var desired []routes.NodeRoutes
	for _, r := range tbl.Routes {
		p, err1 := netip.ParsePrefix(r.AddressPrefix)
		hop, err2 := netip.ParseAddr(r.NextHopIPAddress)
		if err1 != nil || err2 != nil || r.NextHopType != "VirtualAppliance" || !routes.Within(p, podCIDRs) {
			continue
		}
		desired = append(desired, routes.NodeRoutes{Node: r.Name, Complete: true,
			Routes: []routes.Route{{Name: r.Name, Prefix: p.Masked(), NextHop: hop}}})
	}
	read, err := b.Read(ctx)
	if err != nil {
		return err
	}
	read.Routes = routes.Adopt(read.Routes, desired)
	plan := routes.MakePlan(read.Routes, desired, len(desired)+len(read.Routes))
	if !plan.Changed() {
		return nil
	}
	return b.Write(ctx, read, plan)
}
