// Package armemutest starts armemu for a test, with the route table a test writes to. For
// tests only.
package armemutest

import (
	"testing"

	"github.com/dualnet/dualnet/internal/armemu"
)

// Start starts armemu with an empty route table sub/group/table, as an AKS cluster's is
// before its first node, and stops it when the test ends.
func Start(t testing.TB, sub, group, table string) *armemu.Server {
	t.Helper()
	srv, err := armemu.Start(armemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.CreateRouteTable(sub, group, table, "westeurope")
	return srv
}
