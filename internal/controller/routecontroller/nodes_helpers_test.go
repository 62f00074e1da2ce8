package routecontroller_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/dualnet/dualnet/internal/controller/nodeipam/nodeipamtest"
	"github.com/dualnet/dualnet/internal/kubetest"
)

// Test nodes on the real API server: creating, deleting, reading their conditions and events.

// testNode is node i of a test: dual-stack pod CIDRs as dualnet's IPAM gives them
// (10.244.i.0/24, fd12:3456:789a:0:i::/80) and InternalIPs on the nodes' subnet.
type testNode struct {
	name     string
	podCIDRs []string
	ips      []string
}

// nodesFor is nodes from to to-1, named after the test as node IPAM tests name theirs.
func nodesFor(t testing.TB, from, to int) []testNode {
	names := nodeipamtest.Names(t, to)
	var out []testNode
	for i := from; i < to; i++ {
		out = append(out, testNode{
			name: names[i],
			podCIDRs: []string{fmt.Sprintf("10.244.%d.0/24", i),
				netip.MustParsePrefix(fmt.Sprintf("fd12:3456:789a:0:%x::/80", i)).String()},
			ips: []string{fmt.Sprintf("10.240.%d.%d", (i+4)/256, (i+4)%256), fmt.Sprintf("fd00::%x", i+4)},
		})
	}
	return out
}

// createNodes registers the nodes (16 at a time, as a scale-up would) and deletes them when
// the test ends.
func createNodes(t testing.TB, client kubernetes.Interface, nodes []testNode) {
	t.Helper()
	objects := make([]*corev1.Node, len(nodes))
	for i, n := range nodes {
		objects[i] = kubetest.Node(n.name, n.podCIDRs, n.ips...)
	}
	kubetest.CreateNodes(t, client, objects)
}

// deleteNodes deletes the nodes; ones already gone are fine.
func deleteNodes(t testing.TB, client kubernetes.Interface, nodes []testNode) {
	t.Helper()
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.name
	}
	kubetest.DeleteNodes(t, client, names)
}

// networkUnavailable returns each node's NetworkUnavailable condition as "Status/Reason".
func networkUnavailable(t testing.TB, client kubernetes.Interface, nodes []testNode) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range nodes {
		if c, ok := networkUnavailableCondition(t, client, n.name); ok {
			out[n.name] = string(c.Status) + "/" + c.Reason
		}
	}
	return out
}

// networkUnavailableCondition reads the node's NetworkUnavailable condition, if it has one.
func networkUnavailableCondition(t testing.TB, client kubernetes.Interface, name string) (corev1.NodeCondition, bool) {
	t.Helper()
	node, err := client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get node %s: %v", name, err)
	}
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeNetworkUnavailable {
			return c, true
		}
	}
	return corev1.NodeCondition{}, false
}

func allConditions(got map[string]string, nodes []testNode, want string) (bool, string) {
	for _, n := range nodes {
		if got[n.name] != want {
			return false, fmt.Sprintf("node %s has NetworkUnavailable %q, want %q", n.name, got[n.name], want)
		}
	}
	return true, ""
}

// eventsFor lists the nodes that got an event with the reason.
func eventsFor(t testing.TB, client kubernetes.Interface, reason string) map[string]string {
	t.Helper()
	list, err := client.CoreV1().Events(metav1.NamespaceAll).List(context.Background(), metav1.ListOptions{FieldSelector: "reason=" + reason})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	out := map[string]string{}
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == "Node" {
			out[e.InvolvedObject.Name] = e.Type + ": " + e.Message
		}
	}
	return out
}
