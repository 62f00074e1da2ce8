package routecontroller_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/routes"
)

// The emulator's route table as the tests read and disturb it.

// routeMap is the emulator's table as name -> "prefix via next hop".
func routeMap(t testing.TB, srv *armemu.Server) map[string]string {
	t.Helper()
	tbl, ok := srv.RouteTable(sub, group, table)
	if !ok {
		t.Fatal("route table is gone")
	}
	out := map[string]string{}
	for _, r := range tbl.Routes {
		out[r.Name] = r.AddressPrefix + " via " + r.NextHopType + " " + r.NextHopIPAddress
	}
	return out
}

// wantRoutes is what nodes need, in routeMap's form.
func wantRoutes(nodes []testNode) map[string]string {
	out := map[string]string{}
	for _, n := range nodes {
		for i, c := range n.podCIDRs {
			out[routes.RouteName(n.name, netip.MustParsePrefix(c))] = c + " via VirtualAppliance " + n.ips[i]
		}
	}
	return out
}

// hasAll reports whether got holds every route of want, and says what is missing.
func hasAll(got, want map[string]string) (bool, string) {
	missing := 0
	var example string
	for name, r := range want {
		if got[name] != r {
			missing++
			example = fmt.Sprintf("%s = %q, want %q", name, got[name], r)
		}
	}
	return missing == 0, fmt.Sprintf("%d of %d routes missing or wrong (e.g. %s); table has %d", missing, len(want), example, len(got))
}

// addFirewallRoute puts a user's own route in the table, through the SDK as a user would.
func addFirewallRoute(t testing.TB, srv *armemu.Server) {
	t.Helper()
	f, err := armnetwork.NewClientFactory(sub, armemu.Credential(), srv.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := f.NewRoutesClient().BeginCreateOrUpdate(ctx, group, table, "to-firewall", armnetwork.Route{
		Properties: &armnetwork.RoutePropertiesFormat{AddressPrefix: to.Ptr("0.0.0.0/0"),
			NextHopType: to.Ptr(armnetwork.RouteNextHopTypeVirtualAppliance), NextHopIPAddress: to.Ptr("10.240.0.250")}}, nil)
	if err == nil {
		_, err = p.PollUntilDone(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// deleteRoute removes one route behind dualnet's back.
func deleteRoute(t testing.TB, srv *armemu.Server, name string) {
	t.Helper()
	f, err := armnetwork.NewClientFactory(sub, armemu.Credential(), srv.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := f.NewRoutesClient().BeginDelete(ctx, group, table, name, nil)
	if err == nil {
		_, err = p.PollUntilDone(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
}
