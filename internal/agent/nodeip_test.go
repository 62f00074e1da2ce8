package agent_test

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

var dropCounter = regexp.MustCompile(`ip6 saddr @cluster-pod-cidrs-v6 .* ct state new counter packets (\d+) bytes \d+ drop`)

// A node whose Node object reports no IPv6 InternalIP has no address to SNAT IPv6 pod egress
// to. Its pods' IPv6 traffic leaving the cluster must not leave with the pod's own address:
// it is dropped and counted, and the Node gets a Warning event naming the family.
func TestNodeWithoutAnIPv6InternalIPDropsIPv6PodEgressAndSaysSo(t *testing.T) {
	c := agenttest.NewClusterReporting(t, 1, func(i int) []netip.Addr {
		v4, _ := agenttest.NodeAddrs(i)
		return []netip.Addr{v4}
	})
	n := c.Nodes[0]
	node, err := kubetest.Client().CoreV1().Nodes().Get(context.Background(), n.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	poll.Eventually(t, 10*time.Second, "InternalIPMissing event on the node", func() error {
		events, err := kubetest.Client().CoreV1().Events("").List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + n.Name})
		if err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Reason == "InternalIPMissing" && e.Type == corev1.EventTypeWarning && e.InvolvedObject.UID == node.UID &&
				strings.Contains(e.Message, "no IPv6 InternalIP") {
				return nil
			}
		}
		return fmt.Errorf("%d events, none a Warning InternalIPMissing naming IPv6", len(events.Items))
	})
	// A lasting problem is reported once, not every resync (the recorder would count repeats).
	after := n.Agent.Syncs() + 3
	poll.Eventually(t, 10*agenttest.Resync, "three more syncs", func() error {
		if got := n.Agent.Syncs(); got < after {
			return fmt.Errorf("%d syncs, want %d", got, after)
		}
		return nil
	})
	if count := internalIPMissingCount(t, n.Name); count != 1 {
		t.Errorf("InternalIPMissing reported %d times over several resyncs, want once", count)
	}

	p := n.AddPod(t)
	dptest.ServePeerAddress(t, c.VNetHost.NS, serverPort)
	// vnet-host routes the node's IPv6 pod CIDR back through the node, so a packet let out
	// with the pod's own source would be answered, and the leak would show as a success.
	dptest.InNS(t, c.VNetHost.Name, "ip", "-6", "route", "add", n.PodCIDRs[1].String(), "via", n.Host.IPv6.String())

	if got := seenThrough(t, nodens.At(p.NS.Path), c.VNetHost.IPv4, serverPort); got != n.Host.IPv4 {
		t.Errorf("IPv4: vnet-host saw %s, want node 0's InternalIP %s", got, n.Host.IPv4)
	}
	poll.Eventually(t, 15*time.Second, "IPv6 pod egress dropped and counted", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if seen, err := dptest.PeerAddressSeen(ctx, nodens.At(p.NS.Path), c.VNetHost.IPv6, serverPort); err == nil {
			t.Fatalf("IPv6 request from the pod left the node and vnet-host saw source %s; want it dropped\n%s", seen, dptest.InNS(t, n.Host.Name, "nft", "list", "ruleset"))
		}
		table := dptest.InNS(t, n.Host.Name, "nft", "list", "table", "inet", "dualnet")
		m := dropCounter.FindStringSubmatch(table)
		if m == nil {
			t.Fatalf("no counted IPv6 drop rule in the table:\n%s", table)
		}
		if packets, _ := strconv.Atoi(m[1]); packets == 0 {
			return fmt.Errorf("drop counter still 0:\n%s", table)
		}
		return nil
	})
	if strings.Contains(dptest.InNS(t, n.Host.Name, "nft", "list", "table", "inet", "dualnet"), "snat ip6") {
		t.Error("IPv6 SNAT rule on a node without an IPv6 InternalIP")
	}
}

// internalIPMissingCount is how often the node's InternalIPMissing warning was reported (the
// event recorder folds repeats into one event's count).
func internalIPMissingCount(t *testing.T, node string) int32 {
	t.Helper()
	events, err := kubetest.Client().CoreV1().Events("").List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + node})
	if err != nil {
		t.Fatal(err)
	}
	var n int32
	for _, e := range events.Items {
		if e.Reason == "InternalIPMissing" {
			n += e.Count
		}
	}
	return n
}
