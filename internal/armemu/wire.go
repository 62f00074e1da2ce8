package armemu

// The JSON shapes of ARM route tables, as Azure sends them (api-version 2024-05-01 and later).
// Defined here rather than borrowed from the SDK so that the server states the wire format
// itself and a mismatch with the client shows up in tests.

type wireRouteTable struct {
	Name       string                   `json:"name"`
	ID         string                   `json:"id"`
	Etag       string                   `json:"etag,omitempty"`
	Type       string                   `json:"type"`
	Location   string                   `json:"location,omitempty"`
	Tags       map[string]string        `json:"tags,omitempty"`
	Properties wireRouteTableProperties `json:"properties"`
}

type wireRouteTableProperties struct {
	ProvisioningState          string      `json:"provisioningState,omitempty"`
	ResourceGUID               string      `json:"resourceGuid,omitempty"`
	DisableBgpRoutePropagation bool        `json:"disableBgpRoutePropagation"`
	Routes                     []wireRoute `json:"routes"`
}

type wireRoute struct {
	Name       string              `json:"name"`
	ID         string              `json:"id,omitempty"`
	Etag       string              `json:"etag,omitempty"`
	Type       string              `json:"type,omitempty"`
	Properties wireRouteProperties `json:"properties"`
}

type wireRouteProperties struct {
	AddressPrefix     string `json:"addressPrefix"`
	NextHopType       string `json:"nextHopType"`
	NextHopIPAddress  string `json:"nextHopIpAddress,omitempty"`
	ProvisioningState string `json:"provisioningState,omitempty"`
}

type wireList[T any] struct {
	Value []T `json:"value"`
}

type wireOperation struct {
	Status string     `json:"status"`
	Error  *wireError `json:"error,omitempty"`
}

type wireErrorBody struct {
	Error wireError `json:"error"`
}

type wireError struct {
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Details []wireError `json:"details,omitempty"`
}

const (
	typeRouteTable = "Microsoft.Network/routeTables"
	typeRoute      = "Microsoft.Network/routeTables/routes"
)

// Next hop types Azure accepts for a route.
var nextHopTypes = map[string]bool{
	"VirtualNetworkGateway": true,
	"VnetLocal":             true,
	"Internet":              true,
	"VirtualAppliance":      true,
	"None":                  true,
}

// Conversions between what armemu holds and the wire.

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
