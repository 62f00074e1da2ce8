package routecontroller_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/controller/routecontroller"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

func TestThreeDualStackNodesGetSixRoutesWithExactNamesAndNextHops(t *testing.T) {
	srv := emulator(t)
	client := kubetest.FastClient(t)
	startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400)})
	nodes := nodesFor(t, 1, 4)
	createNodes(t, client, nodes)

	want := wantRoutes(nodes)
	poll.Eventually(t, 20*time.Second, "six routes", func() error { return poll.Met(hasAll(routeMap(t, srv), want)) })
	got := routeMap(t, srv)
	if len(got) != 6 {
		t.Errorf("table has %d routes, want 6: %v", len(got), got)
	}
	// The names cloud-provider-azure gives, spelled out for one node.
	n := nodes[0]
	for name, route := range map[string]string{
		n.name + "____102441024":        "10.244.1.0/24 via VirtualAppliance 10.240.0.5",
		n.name + "____fd123456789a0180": "fd12:3456:789a:0:1::/80 via VirtualAppliance fd00::5",
	} {
		if got[name] != route {
			t.Errorf("route %s = %q, want %q", name, got[name], route)
		}
	}
	poll.Eventually(t, 20*time.Second, "NetworkUnavailable=False/RouteCreated on every node", func() error {
		return poll.Met(allConditions(networkUnavailable(t, client, nodes), nodes, "False/RouteCreated"))
	})
}

func TestScaleUpTo200NodesTakesAtMostTenPutsAndThe201stIsToldTheTableIsFull(t *testing.T) {
	srv := emulator(t)
	client := kubetest.FastClient(t)
	// The setting a controller whose spec came from a file (--config, as deployed) passes
	// (netspec.Spec.Setting): the event and the condition name the file's field.
	startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400), MaxRoutes: 400,
		MaxRoutesSetting: "maxRoutes in /etc/dualnet/network.yaml"})
	poll.Eventually(t, 20*time.Second, "first (empty) sync", func() error { return poll.Met(srv.Stats().Reads > 0, "no read yet") })
	srv.ResetStats()

	nodes := nodesFor(t, 0, 200)
	began := time.Now()
	createNodes(t, client, nodes)
	want := wantRoutes(nodes)
	poll.Eventually(t, 60*time.Second, "400 routes", func() error { return poll.Met(hasAll(routeMap(t, srv), want)) })
	s := srv.Stats()
	t.Logf("0 -> 200 nodes: 400 routes after %v, %d table PUTs of %v routes", time.Since(began).Round(time.Millisecond), s.TablePuts, s.RoutesPerTablePut)
	if s.TablePuts > 10 {
		t.Errorf("%d PUTs for 200 nodes, want at most 10", s.TablePuts)
	}
	poll.Eventually(t, 60*time.Second, "every node NetworkUnavailable=False", func() error {
		return poll.Met(allConditions(networkUnavailable(t, client, nodes), nodes, "False/RouteCreated"))
	})

	extra := nodesFor(t, 200, 201)
	createNodes(t, client, extra)
	poll.Eventually(t, 20*time.Second, "RouteTableFull event on the 201st node", func() error {
		ev := eventsFor(t, client, routecontroller.ReasonRouteTableFull)
		e, ok := ev[extra[0].name]
		return poll.Met(ok && strings.HasPrefix(e, "Warning: "), "events: "+e)
	})
	if e := eventsFor(t, client, routecontroller.ReasonRouteTableFull)[extra[0].name]; !strings.Contains(e, "and maxRoutes in /etc/dualnet/network.yaml is 400;") ||
		!strings.Contains(e, "Raise it if the table allows more") {
		t.Errorf("RouteTableFull event %q: want it to name maxRoutes in the file, and to say to raise it", e)
	}
	poll.Eventually(t, 20*time.Second, "201st node keeps NetworkUnavailable=True", func() error {
		return poll.Met(allConditions(networkUnavailable(t, client, extra), extra, "True/NoRouteCreated"))
	})
	if c, _ := networkUnavailableCondition(t, client, extra[0].name); !strings.Contains(c.Message, "raise maxRoutes in /etc/dualnet/network.yaml") {
		t.Errorf("NetworkUnavailable message %q: want it to name maxRoutes in the file", c.Message)
	}
	if got := len(routeMap(t, srv)); got != 400 {
		t.Errorf("table has %d routes, want 400", got)
	}
	if s := srv.Stats(); s.LargestTablePut > 400 {
		t.Errorf("a PUT of %d routes was sent with --max-routes=400", s.LargestTablePut)
	}
}

func TestFirewallRouteSurvivesEverySync(t *testing.T) {
	srv := emulator(t)
	addFirewallRoute(t, srv)
	client := kubetest.FastClient(t)
	startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400), Resync: 200 * time.Millisecond})
	nodes := nodesFor(t, 0, 4)
	createNodes(t, client, nodes)
	poll.Eventually(t, 20*time.Second, "routes of 4 nodes", func() error { return poll.Met(hasAll(routeMap(t, srv), wantRoutes(nodes))) })
	deleteNodes(t, client, nodes[2:])
	poll.Eventually(t, 20*time.Second, "routes of 2 nodes", func() error {
		got := routeMap(t, srv)
		return poll.Met(len(got) == 5, "table: "+strings.Join(keys(got), ", "))
	})
	before := srv.Stats().Reads
	poll.Eventually(t, 20*time.Second, "a few resyncs", func() error { return poll.Met(srv.Stats().Reads > before+3, "") })
	if got := routeMap(t, srv)["to-firewall"]; got != "0.0.0.0/0 via VirtualAppliance 10.240.0.250" {
		t.Errorf("firewall route = %q after syncs", got)
	}
}

func TestDeletedNodeLosesItsRoutesAndReleasesItsCIDRs(t *testing.T) {
	srv := emulator(t)
	client := kubetest.FastClient(t)
	c := startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400)})
	nodes := nodesFor(t, 0, 3)
	createNodes(t, client, nodes)
	poll.Eventually(t, 20*time.Second, "six routes", func() error { return poll.Met(hasAll(routeMap(t, srv), wantRoutes(nodes))) })
	gone := []netip.Prefix{netip.MustParsePrefix(nodes[2].podCIDRs[0]), netip.MustParsePrefix(nodes[2].podCIDRs[1])}
	poll.Eventually(t, 5*time.Second, "RoutesGone false while the node's routes exist", func() error { return poll.Met(!c.RoutesGone(gone), "") })
	deleteNodes(t, client, nodes[2:])
	poll.Eventually(t, 20*time.Second, "the deleted node's two routes removed", func() error {
		got := routeMap(t, srv)
		ok, _ := hasAll(got, wantRoutes(nodes[:2]))
		return poll.Met(ok && len(got) == 4, strings.Join(keys(got), ", "))
	})
	poll.Eventually(t, 5*time.Second, "RoutesGone for the node's CIDRs", func() error { return poll.Met(c.RoutesGone(gone), "") })
}

func TestRouteDeletedBehindDualnetsBackIsRestored(t *testing.T) {
	srv := emulator(t)
	client := kubetest.FastClient(t)
	startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400), Resync: 300 * time.Millisecond})
	nodes := nodesFor(t, 0, 2)
	createNodes(t, client, nodes)
	want := wantRoutes(nodes)
	poll.Eventually(t, 20*time.Second, "four routes", func() error { return poll.Met(hasAll(routeMap(t, srv), want)) })
	victim := nodes[1].name + "____102441024"
	deleteRoute(t, srv, victim)
	poll.Eventually(t, 20*time.Second, "route "+victim+" restored", func() error { return poll.Met(hasAll(routeMap(t, srv), want)) })
}

func TestThrottlingAndServerErrorStormsConvergeWithNothingLost(t *testing.T) {
	srv := emulator(t)
	client := kubetest.FastClient(t)
	startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400)})
	poll.Eventually(t, 20*time.Second, "first sync", func() error { return poll.Met(srv.Stats().Reads > 0, "") })
	// More 429s than the SDK retries on its own, then a run of 500s on reads and writes.
	srv.AddFault(armemu.Fault{Method: "PUT", Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 5})
	srv.AddFault(armemu.Fault{Status: http.StatusInternalServerError, Times: 12})
	nodes := nodesFor(t, 0, 20)
	createNodes(t, client, nodes)
	poll.Eventually(t, 90*time.Second, "40 routes through the storms", func() error { return poll.Met(hasAll(routeMap(t, srv), wantRoutes(nodes))) })
	if s := srv.Stats(); s.Faults != 17 {
		t.Errorf("%d faults answered, want all 17 used (stats %+v)", s.Faults, s)
	}
	poll.Eventually(t, 20*time.Second, "every node NetworkUnavailable=False", func() error {
		return poll.Met(allConditions(networkUnavailable(t, client, nodes), nodes, "False/RouteCreated"))
	})
}

func TestControllerKilledMidBatchConvergesAfterRestart(t *testing.T) {
	srv := emulator(t)
	client := kubetest.FastClient(t)
	backend := azureBackend(t, srv, 400)
	first := startController(t, routecontroller.Options{Backend: backend})
	poll.Eventually(t, 20*time.Second, "first sync", func() error { return poll.Met(srv.Stats().Reads > 0, "") })
	// The next write hangs for 3s; the controller dies while it is on the wire. ARM still
	// applies it, and the replacement finds the table as that write left it.
	srv.AddFault(armemu.Fault{Method: "PUT", Delay: 3 * time.Second, Times: 1})
	nodes := nodesFor(t, 0, 30)
	createNodes(t, client, nodes[:20])
	poll.Eventually(t, 20*time.Second, "the write on the wire", func() error { return poll.Met(srv.Stats().WriteAttempts > 0, "") })
	first.stop()
	createNodes(t, client, nodes[20:])

	startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400)})
	poll.Eventually(t, 30*time.Second, "routes of all 30 nodes", func() error { return poll.Met(hasAll(routeMap(t, srv), wantRoutes(nodes))) })
	poll.Eventually(t, 20*time.Second, "every node NetworkUnavailable=False", func() error {
		return poll.Met(allConditions(networkUnavailable(t, client, nodes), nodes, "False/RouteCreated"))
	})
}

func TestRestartWithNothingChangedWritesNothing(t *testing.T) {
	srv := emulator(t)
	addFirewallRoute(t, srv)
	client := kubetest.FastClient(t)
	first := startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400)})
	nodes := nodesFor(t, 0, 5)
	createNodes(t, client, nodes)
	poll.Eventually(t, 20*time.Second, "routes", func() error { return poll.Met(hasAll(routeMap(t, srv), wantRoutes(nodes))) })
	poll.Eventually(t, 20*time.Second, "conditions", func() error {
		return poll.Met(allConditions(networkUnavailable(t, client, nodes), nodes, "False/RouteCreated"))
	})
	first.stop()
	srv.ResetStats()

	second := startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400), Resync: 200 * time.Millisecond})
	poll.Eventually(t, 20*time.Second, "restarted controller synced", func() error {
		return poll.Met(second.Ready() == nil && srv.Stats().Reads > 0, "")
	})
	if s := srv.Stats(); s.WriteAttempts != 0 {
		t.Errorf("restart with nothing changed sent %d writes by its first sync", s.WriteAttempts)
	}
	// Nor at a later resync: syncs run one after another, so two more reads mean the resync
	// that made the first of them has finished, writes included.
	readsAtReady := srv.Stats().Reads
	poll.Eventually(t, 20*time.Second, "a resync after ready", func() error {
		r := srv.Stats().Reads
		return poll.Met(r >= readsAtReady+2, fmt.Sprintf("%d reads since ready", r-readsAtReady))
	})
	if s := srv.Stats(); s.WriteAttempts != 0 {
		t.Errorf("restart with nothing changed sent %d writes by a resync after the first sync", s.WriteAttempts)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestControllerKilledWhileItsWriteLandsConvergesAfterRestart(t *testing.T) {
	srv := emulator(t)
	client := kubetest.FastClient(t)
	first := startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400)})
	poll.Eventually(t, 20*time.Second, "first sync", func() error { return poll.Met(srv.Stats().Reads > 0, "") })
	// This time the dead controller's write lands before the replacement starts: it must
	// adopt those routes (no duplicates, no rewrite of them) and add the rest.
	srv.AddFault(armemu.Fault{Method: "PUT", Delay: time.Second, Times: 1})
	nodes := nodesFor(t, 0, 30)
	createNodes(t, client, nodes[:20])
	poll.Eventually(t, 20*time.Second, "the write on the wire", func() error { return poll.Met(srv.Stats().WriteAttempts > 0, "") })
	first.stop()
	poll.Eventually(t, 20*time.Second, "the dead controller's write landed", func() error {
		return poll.Met(hasAll(routeMap(t, srv), wantRoutes(nodes[:20])))
	})
	createNodes(t, client, nodes[20:])
	srv.ResetStats()

	startController(t, routecontroller.Options{Backend: azureBackend(t, srv, 400)})
	poll.Eventually(t, 30*time.Second, "routes of all 30 nodes", func() error { return poll.Met(hasAll(routeMap(t, srv), wantRoutes(nodes))) })
	if got := len(routeMap(t, srv)); got != 60 {
		t.Errorf("table has %d routes, want 60", got)
	}
	if s := srv.Stats(); s.Writes != 1 {
		t.Errorf("the replacement made %d writes, want 1 (the 10 new nodes)", s.Writes)
	}
}
