package azure_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/armemu/armemutest"
	"github.com/dualnet/dualnet/internal/routes"
	"github.com/dualnet/dualnet/internal/routes/azure"
)

const (
	sub   = "sub-1"
	group = "rg"
	name  = "rt"
)

var podCIDRs = []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd12:3456:789a::/64")}

func setup(t *testing.T, maxRoutes int) (*armemu.Server, *azure.Backend) {
	t.Helper()
	srv := armemutest.Start(t, sub, group, name)
	b, err := azure.New(azure.Config{SubscriptionID: sub, ResourceGroup: group, RouteTable: name,
		Endpoint: srv.URL(), Transport: srv.HTTPClient(), Credential: azure.StaticToken("t"),
		PodCIDRs: podCIDRs, MaxRoutes: maxRoutes, Retry: policy.RetryOptions{RetryDelay: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return srv, b
}

func addFirewallRoute(t *testing.T, srv *armemu.Server) {
	t.Helper()
	addOtherRoute(t, srv, "to-firewall", "0.0.0.0/0")
}

// addOtherRoute adds a route that is not dualnet's, through the firewall, as an admin would.
func addOtherRoute(t *testing.T, srv *armemu.Server, route, prefix string) {
	t.Helper()
	f, err := armnetwork.NewClientFactory(sub, armemu.Credential(), srv.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.NewRoutesClient().BeginCreateOrUpdate(context.Background(), group, name, route, armnetwork.Route{
		Properties: &armnetwork.RoutePropertiesFormat{AddressPrefix: to.Ptr(prefix),
			NextHopType: to.Ptr(armnetwork.RouteNextHopTypeVirtualAppliance), NextHopIPAddress: to.Ptr("10.240.0.250")}}, nil)
	if err == nil {
		_, err = p.PollUntilDone(context.Background(), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func desired(n int) []routes.NodeRoutes {
	var nodes []routes.Node
	for i := range n {
		nodes = append(nodes, routes.Node{Name: "n" + string(rune('a'+i)),
			PodCIDRs:    []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(i), 0}), 24)},
			InternalIPs: []netip.Addr{netip.AddrFrom4([4]byte{10, 240, 0, byte(4 + i)})}})
	}
	return routes.Desired(nodes, podCIDRs)
}

func TestWriteReplacesOurRoutesAndKeepsTheFirewallRoute(t *testing.T) {
	srv, b := setup(t, 400)
	addFirewallRoute(t, srv)
	ctx := context.Background()
	read, err := b.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if read.Others != 1 || len(read.Routes) != 0 {
		t.Fatalf("read %+v, want the firewall route counted as another's", read)
	}
	plan := routes.MakePlan(read.Routes, desired(3), 400-read.Others)
	srv.ResetStats()
	if err := b.Write(ctx, read, plan); err != nil {
		t.Fatal(err)
	}
	tbl, _ := srv.RouteTable(sub, group, name)
	if len(tbl.Routes) != 4 || tbl.Routes[0].Name != "to-firewall" {
		t.Errorf("table = %+v, want the firewall route and 3 of ours", tbl.Routes)
	}
	if s := srv.Stats(); s.Writes != 1 || s.ConditionalReads != 0 {
		t.Errorf("writes = %d, want one PUT; GETs with If-Match = %d, want none (it guards the PUT alone)", s.Writes, s.ConditionalReads)
	}
	again, err := b.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := routes.MakePlan(again.Routes, desired(3), 400-again.Others); p.Changed() {
		t.Errorf("after the write the plan still changes: %+v", p)
	}
}

func TestWriteAfterSomeoneElseWroteIsAConflict(t *testing.T) {
	srv, b := setup(t, 400)
	ctx := context.Background()
	read, err := b.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addFirewallRoute(t, srv)
	err = b.Write(ctx, read, routes.MakePlan(read.Routes, desired(1), 400))
	if !errors.Is(err, routes.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	if tbl, _ := srv.RouteTable(sub, group, name); len(tbl.Routes) != 1 {
		t.Errorf("conflicting write landed: %+v", tbl.Routes)
	}
}

func TestWriteOverMaxRoutesIsNeverSent(t *testing.T) {
	srv, b := setup(t, 2)
	ctx := context.Background()
	read, err := b.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetStats()
	err = b.Write(ctx, read, routes.MakePlan(read.Routes, desired(3), 400))
	if err == nil {
		t.Fatal("write of 3 routes with --max-routes=2 succeeded")
	}
	if s := srv.Stats(); s.WriteAttempts != 0 {
		t.Errorf("%d writes sent, want none", s.WriteAttempts)
	}
}

// Routes added by others, or a lower --max-routes, can leave the table over the limit. Its
// writes that do not grow it must still go out: a node's new IP, a deleted node's routes.
func TestTableAlreadyOverMaxRoutesStillTakesUpdatesAndRemovals(t *testing.T) {
	srv, b := setup(t, 3)
	ctx := context.Background()
	write := func(want []routes.NodeRoutes) error {
		t.Helper()
		read, err := b.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return b.Write(ctx, read, routes.MakePlan(read.Routes, want, 3-read.Others))
	}
	if err := write(desired(3)); err != nil {
		t.Fatal(err)
	}
	addFirewallRoute(t, srv)
	addOtherRoute(t, srv, "to-onprem", "192.168.0.0/16")

	moved := desired(3)
	moved[1].Routes[0].NextHop = netip.MustParseAddr("10.240.0.99")
	if err := write(moved); err != nil { // 5 routes, as before
		t.Fatalf("a node's new IP, in a table of 5 routes with --max-routes=3: %v", err)
	}
	tbl, _ := srv.RouteTable(sub, group, name)
	if len(tbl.Routes) != 5 || !strings.Contains(tableString(tbl), "10.244.1.0/24 via 10.240.0.99;") {
		t.Errorf("after the node's IP changed the table is %s, want 5 routes, 10.244.1.0/24 via 10.240.0.99", tableString(tbl))
	}
	if err := write(desired(2)); err != nil { // 4 routes
		t.Fatalf("a node's removal, from a table of 5 routes with --max-routes=3: %v", err)
	}
	if tbl, _ = srv.RouteTable(sub, group, name); len(tbl.Routes) != 4 || strings.Contains(tableString(tbl), "10.244.2.0/24") {
		t.Errorf("after the node went the table is %s, want 4 routes, none for 10.244.2.0/24", tableString(tbl))
	}
	// Growing it is still refused, whatever room the plan was given.
	read, err := b.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetStats()
	if err := b.Write(ctx, read, routes.MakePlan(read.Routes, desired(3), 400)); err == nil {
		t.Error("a write of 5 routes over a table of 4 with --max-routes=3 succeeded")
	}
	if s := srv.Stats(); s.WriteAttempts != 0 {
		t.Errorf("%d writes sent, want none", s.WriteAttempts)
	}
}

// tableString lists a table's routes as "prefix via hop", in order.
func tableString(tbl armemu.Table) string {
	var b strings.Builder
	for _, r := range tbl.Routes {
		fmt.Fprintf(&b, "%s via %s; ", r.AddressPrefix, r.NextHopIPAddress)
	}
	return b.String()
}

func TestLongThrottlingComesBackWithRetryAfter(t *testing.T) {
	srv, b := setup(t, 400)
	ctx := context.Background()
	read, err := b.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.AddFault(armemu.Fault{Method: "PUT", Status: http.StatusTooManyRequests, RetryAfter: 0, Times: -1})
	err = b.Write(ctx, read, routes.MakePlan(read.Routes, desired(1), 400))
	var th *routes.ThrottledError
	if !errors.As(err, &th) || th.RetryAfter != 0*time.Second {
		t.Fatalf("err = %v, want a ThrottledError with Retry-After 0s", err)
	}
}

func TestMissingTableNamesTheFlag(t *testing.T) {
	srv, _ := setup(t, 400)
	b, err := azure.New(azure.Config{SubscriptionID: sub, ResourceGroup: group, RouteTable: "other",
		Endpoint: srv.URL(), Transport: srv.HTTPClient(), Credential: azure.StaticToken("t"), PodCIDRs: podCIDRs, MaxRoutes: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Read(context.Background()); err == nil || !strings.Contains(err.Error(), "--azure-route-table") {
		t.Errorf("err = %v, want one naming --azure-route-table", err)
	}
}
