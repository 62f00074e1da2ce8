package routecontroller_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/controller/routecontroller"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// Azure refuses route names over 80 characters and dualnet writes the table in one PUT, so
// one node with a long name must not keep the others, or itself, out of the table.
func TestNodesWithNamesOver100CharactersGetRoutesWithNamesAzureAccepts(t *testing.T) {
	srv := emulator(t)
	client := kubetest.FastClient(t)
	startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400)})
	nodes := nodesFor(t, 0, 3)
	// Nodes 1 and 2 differ only in their last character, far past what a route name can hold.
	domain := "." + strings.Repeat("k", 63) + "." + strings.Repeat("z", 40)
	nodes[1].name = strings.Replace(nodes[1].name, "-001", "-long"+domain+"-001", 1)
	nodes[2].name = strings.Replace(nodes[2].name, "-002", "-long"+domain+"-002", 1)
	createNodes(t, client, nodes)

	poll.Eventually(t, 20*time.Second, "routes of every node", func() error { return poll.Met(hasAll(routeMap(t, srv), wantRoutes(nodes))) })
	got := routeMap(t, srv)
	if len(got) != 6 {
		t.Errorf("table has %d routes, want 6: %v", len(got), keys(got))
	}
	for name := range got {
		if len(name) > 80 {
			t.Errorf("route name %q is %d characters, over Azure's 80", name, len(name))
		}
	}
	poll.Eventually(t, 20*time.Second, "NetworkUnavailable=False/RouteCreated on every node", func() error {
		return poll.Met(allConditions(networkUnavailable(t, client, nodes), nodes, "False/RouteCreated"))
	})
}
