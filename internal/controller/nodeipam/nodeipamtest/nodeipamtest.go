// Package nodeipamtest holds the cluster-side checks of node IPAM tests: creating and removing
// test nodes on a real API server, reading every node's pod CIDRs while checking that no CIDR
// is on two nodes, reading events, and polling with a deadline. For tests only.
package nodeipamtest

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// Names names n nodes after the test, so that tests sharing the API server never mix.
func Names(t testing.TB, n int) []string {
	prefix := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	prefix = strings.Trim(prefix[max(0, len(prefix)-40):], "-")
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return names
}

// CreateNodes creates nodes (with the given pod CIDRs, if any) and deletes them all when the
// test ends, so that the next test starts from an empty cluster.
func CreateNodes(t testing.TB, client kubernetes.Interface, names []string, podCIDRs map[string][]string) {
	t.Helper()
	nodes := make([]*corev1.Node, len(names))
	for i, name := range names {
		nodes[i] = kubetest.Node(name, podCIDRs[name])
	}
	kubetest.CreateNodes(t, client, nodes)
}

// PodCIDRs reads every node's spec.podCIDRs and fails the test if any CIDR overlaps another
// node's or spec.podCIDR is not the first of spec.podCIDRs.
func PodCIDRs(t testing.TB, client kubernetes.Interface) map[string][]string {
	t.Helper()
	list, err := client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	byNode := map[string][]string{}
	var seen []netip.Prefix
	owner := map[netip.Prefix]string{}
	for _, n := range list.Items {
		if len(n.Spec.PodCIDRs) == 0 {
			continue
		}
		byNode[n.Name] = n.Spec.PodCIDRs
		for _, s := range n.Spec.PodCIDRs {
			p := netip.MustParsePrefix(s)
			for _, other := range seen {
				if other.Overlaps(p) {
					t.Fatalf("pod CIDR %s of node %s overlaps %s of node %s", p, n.Name, other, owner[other])
				}
			}
			seen = append(seen, p)
			owner[p] = n.Name
		}
		if n.Spec.PodCIDR != n.Spec.PodCIDRs[0] {
			t.Fatalf("node %s: spec.podCIDR %q is not the first of spec.podCIDRs %v", n.Name, n.Spec.PodCIDR, n.Spec.PodCIDRs)
		}
	}
	return byNode
}

// Count is how many of names are keys of set.
func Count(names []string, set map[string][]string) int {
	n := 0
	for _, name := range names {
		if _, ok := set[name]; ok {
			n++
		}
	}
	return n
}

// Events lists the nodes that got an event with the reason, and the events' messages.
func Events(t testing.TB, client kubernetes.Interface, reason string) (nodes map[string]bool, messages []string) {
	t.Helper()
	list, err := client.CoreV1().Events(metav1.NamespaceAll).List(context.Background(), metav1.ListOptions{FieldSelector: "reason=" + reason})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	nodes = map[string]bool{}
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == "Node" {
			nodes[e.InvolvedObject.Name] = true
			messages = append(messages, e.Message)
		}
	}
	return nodes, messages
}

// WaitAssigned polls until every node in names has pod CIDRs, failing the test after within.
func WaitAssigned(t testing.TB, client kubernetes.Interface, names []string, within time.Duration) {
	t.Helper()
	poll.Eventually(t, within, fmt.Sprintf("%d nodes assigned", len(names)), func() error {
		n := Count(names, PodCIDRs(t, client))
		return poll.Met(n == len(names), fmt.Sprint(n))
	})
}

// DeleteNodesAndWait deletes names and waits, up to a minute, until the API server lists no
// nodes at all, so the next round of a benchmark starts from an empty cluster.
func DeleteNodesAndWait(t testing.TB, client kubernetes.Interface, names []string) {
	t.Helper()
	kubetest.DeleteNodes(t, client, names)
	poll.Eventually(t, 60*time.Second, "nodes deleted", func() error {
		list, err := client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
		return poll.Met(err == nil && len(list.Items) == 0, "")
	})
}
