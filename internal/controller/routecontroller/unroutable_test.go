package routecontroller_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/dualnet/dualnet/internal/controller/routecontroller"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// networkUnavailableMessage returns the node's NetworkUnavailable condition as
// "Status/Reason: Message".
func networkUnavailableMessage(t testing.TB, client kubernetes.Interface, name string) string {
	t.Helper()
	c, ok := networkUnavailableCondition(t, client, name)
	if !ok {
		return ""
	}
	return string(c.Status) + "/" + c.Reason + ": " + c.Message
}

// A node whose pod CIDR is routed to another node, or lies outside the cluster pod CIDRs, must
// not be told its network is available: its pods' traffic goes elsewhere or nowhere.
func TestNodeWhosePodCIDRIsTakenOrOutsideTheClusterStaysNetworkUnavailable(t *testing.T) {
	srv := emulator(t)
	client := kubetest.FastClient(t)
	startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400), Resync: 200 * time.Millisecond})
	nodes := nodesFor(t, 0, 3)
	owner, twin, outside := nodes[0], nodes[1], nodes[2]
	twin.podCIDRs = owner.podCIDRs
	outside.podCIDRs = []string{"192.168.7.0/24", outside.podCIDRs[1]}
	// The owner first, so it is the older node and keeps the CIDRs.
	createNodes(t, client, []testNode{owner})
	createNodes(t, client, []testNode{twin, outside})

	want := map[string]string{
		owner.name:   "False/RouteCreated: ",
		twin.name:    `True/NoRouteCreated: dualnet cannot route the node: pod CIDR 10.244.0.0/24 is already routed to node "` + owner.name + `"`,
		outside.name: "True/NoRouteCreated: dualnet cannot route the node: pod CIDR 192.168.7.0/24 is outside the cluster pod CIDRs",
	}
	check := func() error {
		for name, prefix := range want {
			if got := networkUnavailableMessage(t, client, name); !strings.HasPrefix(got, prefix) {
				return errors.New("node " + name + " has NetworkUnavailable " + got + ", want " + prefix + "...")
			}
		}
		return nil
	}
	poll.Eventually(t, 20*time.Second, "conditions of the owner, its twin and the node outside", check)
	// Still so after a few resyncs: no later sync flips them to RouteCreated.
	before := srv.Stats().Reads
	poll.Eventually(t, 20*time.Second, "a few resyncs", func() error { return poll.Met(srv.Stats().Reads > before+3, "") })
	if err := check(); err != nil {
		t.Error(err)
	}
	// Only the owner's routes and the outside node's IPv6 route are in the table.
	got := routeMap(t, srv)
	if len(got) != 3 {
		t.Errorf("table has %d routes, want 3 (owner's two, outside node's IPv6): %v", len(got), keys(got))
	}
}
