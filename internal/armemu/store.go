package armemu

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/google/uuid"
)

// Route is one route of a table as armemu holds it.
type Route struct {
	Name             string
	AddressPrefix    string
	NextHopType      string
	NextHopIPAddress string
}

// Table is a copy of one route table's state.
type Table struct {
	Subscription, ResourceGroup, Name string
	Location                          string
	Etag                              string
	Routes                            []Route
}

// ARM matches names case-insensitively; keys are lower case, the stored names keep their case.
type groupKey struct{ sub, group string }
type tableKey struct{ sub, group, name string }

func keyOf(sub, group, name string) tableKey {
	return tableKey{strings.ToLower(sub), strings.ToLower(group), strings.ToLower(name)}
}

type table struct {
	Table
	guid       string
	tags       map[string]string
	disableBgp bool
}

func (t *table) id() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/routeTables/%s",
		t.Subscription, t.ResourceGroup, t.Name)
}

func (t *table) routeIndex(name string) int {
	for i, r := range t.Routes {
		if strings.EqualFold(r.Name, name) {
			return i
		}
	}
	return -1
}

func newEtag() string { return `W/"` + uuid.NewString() + `"` }

// checkIfMatch applies the If-Match header of a write: absent or "*" passes on an existing
// resource, anything else must equal the current etag.
func checkIfMatch(r *http.Request, t *table) *armError {
	want := r.Header.Get("If-Match")
	if want == "" {
		return nil
	}
	if t == nil {
		if want == "*" {
			return newError(http.StatusPreconditionFailed, "PreconditionFailed", "Precondition failed.")
		}
		return errPrecondition(want, `""`, "")
	}
	if want == "*" || want == t.Etag {
		return nil
	}
	return errPrecondition(want, t.Etag, t.id())
}

// validRoute checks a route the way Azure rejects malformed ones, with Azure's codes.
func validRoute(r wireRoute) *armError {
	if r.Name == "" {
		return newError(http.StatusBadRequest, "InvalidRequestFormat", "Cannot parse the request: a route has no name.")
	}
	p := r.Properties
	if _, err := netip.ParsePrefix(p.AddressPrefix); err != nil {
		return newError(http.StatusBadRequest, "InvalidAddressPrefixFormat",
			"Address prefix %s of resource route %s is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24.", p.AddressPrefix, r.Name)
	}
	if !nextHopTypes[p.NextHopType] {
		return newError(http.StatusBadRequest, "InvalidRequestFormat",
			"Cannot parse the request: nextHopType %q of route %s is not one of VirtualNetworkGateway, VnetLocal, Internet, VirtualAppliance, None.", p.NextHopType, r.Name)
	}
	if p.NextHopType == "VirtualAppliance" {
		if _, err := netip.ParseAddr(p.NextHopIPAddress); err != nil {
			return newError(http.StatusBadRequest, "NextHopIpAddressMustBeSpecifiedForVirtualApplianceNextHopType",
				"Next hop IP address must be specified for route %s with next hop type VirtualAppliance.", r.Name)
		}
	} else if p.NextHopIPAddress != "" {
		return newError(http.StatusBadRequest, "NextHopIpAddressNotAllowed",
			"Next hop IP address is only allowed for next hop type VirtualAppliance, not %s (route %s).", p.NextHopType, r.Name)
	}
	return nil
}

func routeFromWire(r wireRoute) Route {
	return Route{Name: r.Name, AddressPrefix: r.Properties.AddressPrefix, NextHopType: r.Properties.NextHopType,
		NextHopIPAddress: r.Properties.NextHopIPAddress}
}

func (t *table) wire(state string) wireRouteTable {
	w := wireRouteTable{
		Name: t.Name, ID: t.id(), Etag: t.Etag, Type: typeRouteTable, Location: t.Location, Tags: t.tags,
		Properties: wireRouteTableProperties{ProvisioningState: state, ResourceGUID: t.guid,
			DisableBgpRoutePropagation: t.disableBgp, Routes: []wireRoute{}},
	}
	for _, r := range t.Routes {
		w.Properties.Routes = append(w.Properties.Routes, t.wireRoute(r))
	}
	return w
}

func (t *table) wireRoute(r Route) wireRoute {
	return wireRoute{Name: r.Name, ID: t.id() + "/routes/" + r.Name, Etag: t.Etag, Type: typeRoute,
		Properties: wireRouteProperties{AddressPrefix: r.AddressPrefix, NextHopType: r.NextHopType,
			NextHopIPAddress: r.NextHopIPAddress, ProvisioningState: "Succeeded"}}
}

func (t *table) snapshot() Table {
	c := t.Table
	c.Routes = append([]Route(nil), t.Routes...)
	return c
}
