package nodeipam_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/dualnet/dualnet/internal/controller/nodeipam"
	"github.com/dualnet/dualnet/internal/controller/nodeipam/nodeipamtest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

func TestControllerGivesThreeNodesTheFirstThreeBlocksOfBothFamilies(t *testing.T) {
	for _, existing := range []bool{false, true} {
		name := "nodes created while the controller runs"
		if existing {
			name = "nodes created before the controller starts"
		}
		t.Run(name, func(t *testing.T) {
			client := kubetest.FastClient(t)
			names := nodeipamtest.Names(t, 3)
			if !existing {
				startController(t, nodeipam.Options{Spec: netspec.Default()})
			}
			for _, name := range names {
				// One at a time: allocation order is the order nodes appear in.
				nodeipamtest.CreateNodes(t, client, []string{name}, nil)
			}
			if existing {
				startController(t, nodeipam.Options{Spec: netspec.Default()})
			}
			want := map[string][]string{
				names[0]: {"10.244.0.0/24", "fd12:3456:789a::/80"},
				names[1]: {"10.244.1.0/24", "fd12:3456:789a:0:1::/80"},
				names[2]: {"10.244.2.0/24", "fd12:3456:789a:0:2::/80"},
			}
			poll.Eventually(t, 30*time.Second, "three nodes get the first three blocks", func() error {
				got := nodeipamtest.PodCIDRs(t, client)
				for name, cidrs := range want {
					if !slices.Equal(got[name], cidrs) {
						return poll.Met(false, fmt.Sprint(got))
					}
				}
				return poll.Met(true, "")
			})
		})
	}
}

func TestControllerServesNodesPastCapacityWhenRoomAppears(t *testing.T) {
	client := kubetest.FastClient(t)
	startController(t, nodeipam.Options{Spec: netspec.Default()}) // --max-routes 400: 200 nodes
	names := nodeipamtest.Names(t, 250)
	nodeipamtest.CreateNodes(t, client, names, nil)

	var allocated map[string][]string
	poll.Eventually(t, 90*time.Second, "200 nodes get pod CIDRs and 50 get a CIDRNotAvailable event", func() error {
		allocated = nodeipamtest.PodCIDRs(t, client)
		if n := nodeipamtest.Count(names, allocated); n > 200 {
			t.Fatalf("%d nodes got pod CIDRs; the route table holds 200", n)
		}
		warned, _ := nodeipamtest.Events(t, client, nodeipam.ReasonCIDRNotAvailable)
		state := fmt.Sprintf("%d with CIDRs, %d warned", nodeipamtest.Count(names, allocated), len(warned))
		return poll.Met(nodeipamtest.Count(names, allocated) == 200 && len(warned) == 50, state)
	})
	warned, messages := nodeipamtest.Events(t, client, nodeipam.ReasonCIDRNotAvailable)
	for name := range warned {
		if _, ok := allocated[name]; ok {
			t.Errorf("node %s has pod CIDRs and a CIDRNotAvailable event", name)
		}
	}
	for _, m := range messages {
		if !strings.Contains(m, "route table") || !strings.Contains(m, "--max-routes") {
			t.Fatalf("event %q does not name the binding limit and how to raise it", m)
		}
	}

	var gone []string
	for _, name := range names {
		if _, ok := allocated[name]; ok && len(gone) < 10 {
			gone = append(gone, name)
		}
	}
	kubetest.DeleteNodes(t, client, gone)
	poll.Eventually(t, 60*time.Second, "10 waiting nodes get the 10 freed blocks", func() error {
		now := nodeipamtest.PodCIDRs(t, client)
		for name, cidrs := range allocated {
			if got, ok := now[name]; ok && !slices.Equal(got, cidrs) {
				t.Fatalf("node %s's pod CIDRs changed from %v to %v", name, cidrs, got)
			}
		}
		servedWaiting := 0
		for name := range warned {
			if _, ok := now[name]; ok {
				servedWaiting++
			}
		}
		n := nodeipamtest.Count(names, now)
		if n > 200 {
			t.Fatalf("%d nodes hold pod CIDRs; the route table holds 200", n)
		}
		return poll.Met(n == 200 && servedWaiting == 10, fmt.Sprintf("%d with CIDRs, %d formerly waiting served", n, servedWaiting))
	})
}

func TestControllerAdoptsExistingCIDRsBeforeAllocating(t *testing.T) {
	client := kubetest.FastClient(t)
	names := nodeipamtest.Names(t, 6)
	existing := map[string][]string{
		// As an earlier run gave it.
		names[0]: {"10.244.0.0/24", "fd12:3456:789a::/80"},
		// As kube-controller-manager numbers families apart: blocks 1 and 2 are both taken.
		names[1]: {"10.244.1.0/24", "fd12:3456:789a:0:2::/80"},
		// Outside the cluster range: reported, kept.
		names[2]: {"192.168.7.0/24", "fd99::/80"},
	}
	nodeipamtest.CreateNodes(t, client, names[:3], existing)
	nodeipamtest.CreateNodes(t, client, names[3:], nil)
	startController(t, nodeipam.Options{Spec: netspec.Default()})

	poll.Eventually(t, 30*time.Second, "new nodes get blocks no existing node overlaps", func() error {
		got := nodeipamtest.PodCIDRs(t, client)
		return poll.Met(nodeipamtest.Count(names, got) == 6, fmt.Sprint(got))
	})
	got := nodeipamtest.PodCIDRs(t, client)
	for name, cidrs := range existing {
		if !slices.Equal(got[name], cidrs) {
			t.Errorf("existing node %s's CIDRs changed from %v to %v", name, cidrs, got[name])
		}
	}
	var newBlocks []string
	for _, name := range names[3:] {
		newBlocks = append(newBlocks, got[name][0])
	}
	slices.Sort(newBlocks)
	if want := []string{"10.244.3.0/24", "10.244.4.0/24", "10.244.5.0/24"}; !slices.Equal(newBlocks, want) {
		t.Errorf("new nodes got %v, want %v (blocks 0 to 2 are taken)", newBlocks, want)
	}
	poll.Eventually(t, 30*time.Second, "the node outside the cluster range gets a Warning event", func() error {
		warned, _ := nodeipamtest.Events(t, client, nodeipam.ReasonCIDROutsideRange)
		return poll.Met(warned[names[2]] && len(warned) == 1, fmt.Sprint(warned))
	})
}

// deleteANodeFromAFullRouteTable fills a 4-route table with two dual-stack nodes, makes a third
// node wait for room, then deletes the first node. It returns the client, the node names and
// the deleted node's blocks, which the waiting third node should get next.
func deleteANodeFromAFullRouteTable(t *testing.T, hook *routesHook, holdDown time.Duration) (kubernetes.Interface, []string, []string) {
	t.Helper()
	return deleteANodeFromAFullRouteTableWith(t, nodeipam.Options{RoutesGone: hook.routesGone, HoldDown: holdDown}, nil)
}

// deleteANodeFromAFullRouteTableWith is deleteANodeFromAFullRouteTable with the controller's
// options (the spec is set here), and assigned, if not nil, called with the first node's
// CIDRs once the two nodes have theirs.
func deleteANodeFromAFullRouteTableWith(t *testing.T, opts nodeipam.Options, assigned func(first []string)) (kubernetes.Interface, []string, []string) {
	t.Helper()
	client := kubetest.FastClient(t)
	opts.Spec = mustSpec(t, netspec.Input{IPFamilies: "ipv4,ipv6", NodeCIDRMaskSizeIPv4: 24, NodeCIDRMaskSizeIPv6: 80, MaxRoutes: 4})
	startController(t, opts)
	names := nodeipamtest.Names(t, 3)
	nodeipamtest.CreateNodes(t, client, names[:2], nil)
	poll.Eventually(t, 30*time.Second, "two nodes fill the route table", func() error {
		got := nodeipamtest.PodCIDRs(t, client)
		return poll.Met(nodeipamtest.Count(names, got) == 2, fmt.Sprint(got))
	})
	first := nodeipamtest.PodCIDRs(t, client)[names[0]]
	if assigned != nil {
		assigned(first)
	}
	nodeipamtest.CreateNodes(t, client, names[2:], nil)
	poll.Eventually(t, 30*time.Second, "the third node is told there is no room", func() error {
		warned, _ := nodeipamtest.Events(t, client, nodeipam.ReasonCIDRNotAvailable)
		return poll.Met(warned[names[2]], fmt.Sprint(warned))
	})
	if err := client.CoreV1().Nodes().Delete(context.Background(), names[0], metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	return client, names, first
}

func TestControllerReusesABlockOnlyOnceTheDeletedNodesRoutesAreGone(t *testing.T) {
	hook := &routesHook{}
	client, names, first := deleteANodeFromAFullRouteTable(t, hook, time.Hour)
	poll.Eventually(t, 30*time.Second, "IPAM asks whether the deleted node's routes are gone", func() error {
		return poll.Met(hook.wasAsked(first), "")
	})
	if got := nodeipamtest.PodCIDRs(t, client)[names[2]]; got != nil {
		t.Fatalf("the waiting node got %v while the deleted node's routes were still there", got)
	}
	hook.setGone()
	poll.Eventually(t, 30*time.Second, "the waiting node gets the freed block once the routes are gone", func() error {
		got := nodeipamtest.PodCIDRs(t, client)[names[2]]
		return poll.Met(slices.Equal(got, first), fmt.Sprint(got))
	})
}

// A deleted node's routes that are never reported gone must not keep its block past the
// hold-down: the period ends, and the node waiting for room gets the block. So with RoutesGone
// alone, and with both hooks, as dualnet-controller sets them, where allocation also checks
// the block for a route left behind.
func TestControllerReusesABlockAfterTheHoldDownWhenRoutesAreNeverReportedGone(t *testing.T) {
	for _, both := range []bool{false, true} {
		t.Run(map[bool]string{false: "RoutesGone alone", true: "RoutesGone and RoutesReady"}[both], func(t *testing.T) {
			hook := &routesHook{ready: true, present: map[netip.Prefix]bool{}}
			opts := nodeipam.Options{RoutesGone: hook.routesPresent, HoldDown: time.Second}
			if both {
				opts.RoutesReady = hook.routesReady
			}
			client, names, first := deleteANodeFromAFullRouteTableWith(t, opts, func(first []string) {
				hook.set(func(h *routesHook) { // the first node's routes stay in the table for good
					for _, p := range mustPrefixes(first) {
						h.present[p] = true
					}
				})
			})
			start := time.Now()
			poll.Eventually(t, 30*time.Second, "the waiting node gets the block once the hold-down passes", func() error {
				got := nodeipamtest.PodCIDRs(t, client)[names[2]]
				return poll.Met(slices.Equal(got, first), fmt.Sprint(got))
			})
			if waited := time.Since(start); waited < time.Second {
				t.Errorf("the block was reused after %v, within the 1s hold-down", waited)
			}
		})
	}
}

func TestControllerWaitsForTheRouteTableAndSkipsBlocksWithStaleRoutes(t *testing.T) {
	for _, existing := range []bool{false, true} {
		name := "node created while the controller runs"
		if existing {
			name = "node created before the controller starts"
		}
		t.Run(name, func(t *testing.T) {
			client := kubetest.FastClient(t)
			// Block 0 still has a route: its node was deleted while no controller ran.
			stale := mustPrefixes([]string{"10.244.0.0/24", "fd12:3456:789a::/80"})
			hook := &routesHook{present: map[netip.Prefix]bool{stale[0]: true, stale[1]: true}}
			opts := nodeipam.Options{Spec: netspec.Default(), RoutesGone: hook.routesPresent, RoutesReady: hook.routesReady, HoldDown: time.Hour}
			names := nodeipamtest.Names(t, 2)
			if !existing {
				startController(t, opts)
			}
			nodeipamtest.CreateNodes(t, client, names[:1], nil)
			if existing {
				startController(t, opts)
			}
			poll.Eventually(t, 30*time.Second, "IPAM asks whether the route table is read", func() error {
				return poll.Met(hook.timesAskedReady() > 0, "")
			})
			if got := nodeipamtest.PodCIDRs(t, client)[names[0]]; got != nil {
				t.Fatalf("node got %v before the route table was read", got)
			}
			hook.set(func(h *routesHook) { h.ready = true })
			poll.Eventually(t, 30*time.Second, "the node gets block 1: block 0 still has a route", func() error {
				got := nodeipamtest.PodCIDRs(t, client)[names[0]]
				return poll.Met(slices.Equal(got, []string{"10.244.1.0/24", "fd12:3456:789a:0:1::/80"}), fmt.Sprint(got))
			})
			hook.set(func(h *routesHook) { clear(h.present) }) // the route controller removed the stale route
			nodeipamtest.CreateNodes(t, client, names[1:], nil)
			poll.Eventually(t, 30*time.Second, "the next node gets block 0 once its stale route is gone", func() error {
				got := nodeipamtest.PodCIDRs(t, client)[names[1]]
				return poll.Met(slices.Equal(got, []string{"10.244.0.0/24", "fd12:3456:789a::/80"}), fmt.Sprint(got))
			})
		})
	}
}
