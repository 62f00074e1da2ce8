package armemu_test

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"

	"github.com/dualnet/dualnet/internal/armemu"
)

// Names Azure refuses for a route, and why.
var invalidRouteNames = map[string]string{
	strings.Repeat("a", 81): "81 characters, over the 80 allowed",
	"-lead":                 "begins with '-'",
	".lead":                 "begins with '.'",
	"trail.":                "ends with '.'",
	"trail-":                "ends with '-'",
	"has space":             "holds a space",
	"a+b":                   "holds '+'",
	"n1____10.244.1.0/24":   "holds '/'",
}

// Names at the edges of Azure's rule that it accepts.
var validRouteNames = []string{
	strings.Repeat("a", 80), "a", "_lead", "trail_", "a.b-c_d", "nöde-1",
}

func invalidNameMessage(name string) string {
	return "Resource name " + name + " is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'."
}

func TestPutTableWithAnInvalidRouteNameIsRejectedAndChangesNothing(t *testing.T) {
	e := start(t, armemu.Options{})
	c := ctx(t)
	if _, err := put(t, e, table(route("a", "10.244.1.0/24", "10.240.0.5")), c); err != nil {
		t.Fatal(err)
	}
	before, _ := e.srv.RouteTable(sub, group, "rt")
	invalid := map[string]string{"": "is empty"}
	maps.Copy(invalid, invalidRouteNames)
	for name, why := range invalid {
		// The invalid route comes after a valid one, which must not be applied either.
		_, err := put(t, e, table(route("b", "10.244.2.0/24", "10.240.0.6"), route(name, "10.244.3.0/24", "10.240.0.7")), c)
		re := responseError(t, err)
		if re.StatusCode != http.StatusBadRequest || re.ErrorCode != "InvalidResourceName" || !strings.Contains(re.Error(), invalidNameMessage(name)) {
			t.Errorf("route name %q (%s): got %v; want 400 InvalidResourceName with Azure's message", name, why, re)
		}
	}
	if after, _ := e.srv.RouteTable(sub, group, "rt"); after.Etag != before.Etag || len(after.Routes) != 1 {
		t.Errorf("rejected PUTs changed the table: %+v, was %+v", after, before)
	}

	var rs []*armnetwork.Route
	for i, name := range validRouteNames {
		rs = append(rs, route(name, fmt.Sprintf("10.244.%d.0/24", i), "10.240.0.5"))
	}
	if _, err := put(t, e, table(rs...), c); err != nil {
		t.Errorf("PUT of routes named %q: %v", validRouteNames, err)
	}
}

func TestPutRouteWithAnInvalidNameIsRejectedAndChangesNothing(t *testing.T) {
	e := start(t, armemu.Options{})
	c := ctx(t)
	if _, err := put(t, e, table(), c); err != nil {
		t.Fatal(err)
	}
	before, _ := e.srv.RouteTable(sub, group, "rt")
	for name, why := range invalidRouteNames {
		if strings.Contains(name, "/") {
			continue // a '/' in the URL makes another path, not a route name
		}
		poller, err := e.routes.BeginCreateOrUpdate(c, group, "rt", name, armnetwork.Route{Properties: &armnetwork.RoutePropertiesFormat{
			AddressPrefix: to.Ptr("10.244.1.0/24"), NextHopType: to.Ptr(armnetwork.RouteNextHopTypeVirtualAppliance), NextHopIPAddress: to.Ptr("10.240.0.5")}}, nil)
		if err == nil {
			_, _ = poller.PollUntilDone(c, nil)
			t.Errorf("route name %q (%s) accepted", name, why)
			continue
		}
		re := responseError(t, err)
		if re.StatusCode != http.StatusBadRequest || re.ErrorCode != "InvalidResourceName" || !strings.Contains(re.Error(), invalidNameMessage(name)) {
			t.Errorf("route name %q (%s): got %v; want 400 InvalidResourceName with Azure's message", name, why, re)
		}
	}
	if after, _ := e.srv.RouteTable(sub, group, "rt"); after.Etag != before.Etag || len(after.Routes) != 0 {
		t.Errorf("rejected PUTs changed the table: %+v, was %+v", after, before)
	}
}
