package armemu

import (
	"fmt"
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

func (t *table) snapshot() Table {
	c := t.Table
	c.Routes = append([]Route(nil), t.Routes...)
	return c
}
