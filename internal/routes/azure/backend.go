package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"

	"github.com/dualnet/dualnet/internal/routes"
)

// Backend is an Azure route table. It is not safe for concurrent use: the controller reads and
// writes from one goroutine.
type Backend struct {
	cfg    Config
	client *armnetwork.RouteTablesClient
	// last is the table as last read; Write builds its PUT from it so that everything dualnet
	// does not own (other routes, tags, BGP propagation) is sent back as it was.
	last armnetwork.RouteTable
}

var _ routes.Backend = (*Backend)(nil)

// New returns a backend for cfg's route table.
func New(cfg Config) (*Backend, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client, err := armnetwork.NewRouteTablesClient(cfg.SubscriptionID, cfg.Credential, cfg.clientOptions())
	if err != nil {
		return nil, fmt.Errorf("azure route table client: %w", err)
	}
	return &Backend{cfg: cfg, client: client}, nil
}

func (b *Backend) describe() string {
	return fmt.Sprintf("route table %q in resource group %q", b.cfg.RouteTable, b.cfg.ResourceGroup)
}

// Read GETs the table and splits its routes into dualnet's and the others.
func (b *Backend) Read(ctx context.Context) (routes.Table, error) {
	res, err := b.client.Get(ctx, b.cfg.ResourceGroup, b.cfg.RouteTable, nil)
	if err != nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
			return routes.Table{}, fmt.Errorf("read %s: not found (%s); create it or point --azure-route-table at the cluster's table", b.describe(), re.ErrorCode)
		}
		return routes.Table{}, b.wrap("read", err)
	}
	b.last = res.RouteTable
	t := routes.Table{Version: deref(res.Etag)}
	if res.Properties == nil {
		return t, nil
	}
	for _, r := range res.Properties.Routes {
		if own, ok := b.ours(r); ok {
			t.Routes = append(t.Routes, own)
		} else {
			t.Others++
		}
	}
	return t, nil
}

// ours converts r when it lies inside the cluster pod CIDRs. A route there that does not
// parse as a VirtualAppliance route still is dualnet's: it comes back with an invalid next
// hop, which the plan replaces.
func (b *Backend) ours(r *armnetwork.Route) (routes.Route, bool) {
	if r == nil || r.Properties == nil || r.Name == nil {
		return routes.Route{}, false
	}
	prefix, err := netip.ParsePrefix(deref(r.Properties.AddressPrefix))
	if err != nil || !routes.Within(prefix, b.cfg.PodCIDRs) {
		return routes.Route{}, false
	}
	out := routes.Route{Name: *r.Name, Prefix: prefix}
	if r.Properties.NextHopType != nil && *r.Properties.NextHopType == armnetwork.RouteNextHopTypeVirtualAppliance {
		out.NextHop, _ = netip.ParseAddr(deref(r.Properties.NextHopIPAddress))
	}
	return out, true
}

// Write PUTs the table last read with dualnet's routes replaced by plan.Table, guarded by
// If-Match on the etag read, and waits for the operation to finish.
func (b *Backend) Write(ctx context.Context, read routes.Table, plan routes.Plan) error {
	if deref(b.last.Etag) != read.Version {
		return fmt.Errorf("write %s: table version %s was not the last one read: %w", b.describe(), read.Version, routes.ErrConflict)
	}
	table := b.last
	props := armnetwork.RouteTablePropertiesFormat{}
	if table.Properties != nil {
		props = *table.Properties
	}
	var list []*armnetwork.Route
	for _, r := range props.Routes {
		if _, mine := b.ours(r); !mine {
			list = append(list, r)
		}
	}
	for _, r := range plan.Table {
		list = append(list, &armnetwork.Route{Name: to.Ptr(r.Name), Properties: &armnetwork.RoutePropertiesFormat{
			AddressPrefix:    to.Ptr(r.Prefix.String()),
			NextHopType:      to.Ptr(armnetwork.RouteNextHopTypeVirtualAppliance),
			NextHopIPAddress: to.Ptr(r.NextHop.String()),
		}})
	}
	// A write never takes the table past the limit. A table already past it (another owner
	// added routes, or the limit was lowered) still takes the writes that do not grow it:
	// removals and changed next hops, the only changes a plan then holds.
	if len(list) > b.cfg.MaxRoutes && len(list) > len(props.Routes) {
		return fmt.Errorf("write %s: %d routes would exceed the limit of %d routes; not sent", b.describe(), len(list), b.cfg.MaxRoutes)
	}
	props.Routes = list
	table.Properties = &props

	put := policy.WithHTTPHeader(ctx, http.Header{"If-Match": {read.Version}})
	poller, err := b.client.BeginCreateOrUpdate(put, b.cfg.ResourceGroup, b.cfg.RouteTable, table, nil)
	if err != nil {
		return b.wrap("write", err)
	}
	// Polled with ctx, not put: the SDK sends a context's headers with every request, and
	// If-Match guards the PUT alone, not the GETs of the operation and the table after it.
	res, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: time.Second})
	if err != nil {
		return b.wrap("wait for write of", err)
	}
	b.last = res.RouteTable
	return nil
}

// wrap turns ARM's answers into what the controller acts on: 412 is a conflict to re-read,
// 429 a wait of Retry-After.
func (b *Backend) wrap(op string, err error) error {
	err = fmt.Errorf("%s %s: %w", op, b.describe(), err)
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return err
	}
	switch re.StatusCode {
	case http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %w", routes.ErrConflict, err)
	case http.StatusTooManyRequests:
		return &routes.ThrottledError{RetryAfter: retryAfter(re.RawResponse), Err: err}
	}
	return err
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
