package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// TestSyncReportsTheHealthItsTableApplied drives the controller's sync by hand, with probes
// the test answers, in a real namespace with a real nftables table: a backend whose probes
// start failing stays healthy in the report, as it does in the table, until the next sync
// takes it out of both. The periodic report between the two must not run ahead of the table,
// or a test that polls the report and then sends a flow meets the old table.
func TestSyncReportsTheHealthItsTableApplied(t *testing.T) {
	vnet := dptest.NewVNet(t)
	dptest.Run(t, "ip", "-n", vnet.NS, "addr", "add", "10.240.0.1/24", "dev", "vnet0")
	n0, n1 := netip.MustParseAddr("10.240.0.4"), netip.MustParseAddr("10.240.0.5")
	nodes := []*corev1.Node{ipv4Node("n0", n0), ipv4Node("n1", n1)}
	web := lbService("web", ipv4, time.Now())
	client := fake.NewClientset(web, nodes[0], nodes[1])
	reportFile := filepath.Join(t.TempDir(), "lb.json")
	cfg := Config{Netns: netns.Path(vnet.NS), Bridge: "vnet0", Pools: pools,
		ProbeInterval: 20 * time.Millisecond, ProbeThreshold: 1, ReportFile: reportFile}.withDefaults()
	c, err := newController(client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)

	var mu sync.Mutex
	answering := map[netip.Addr]bool{n0: true, n1: true}
	probe := func(ctx context.Context, tg target) error {
		mu.Lock()
		defer mu.Unlock()
		if !answering[tg.addr] {
			return errors.New("connection refused")
		}
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	c.probes = newProbers(cfg, probe, func() {}) // no sync on a change: the test syncs
	t.Cleanup(func() { cancel(); c.probes.wait() })

	syncNow := func() {
		t.Helper()
		if err := c.sync(ctx, []*corev1.Service{web}, nodes); err != nil {
			t.Fatal(err)
		}
	}
	syncNow() // starts the probers
	waitForProbes(t, c, n0, true)
	waitForProbes(t, c, n1, true)
	syncNow()
	checkApplied(t, c, vnet.NS, reportFile, map[string]bool{"n0": true, "n1": true})

	mu.Lock()
	answering[n1] = false
	mu.Unlock()
	waitForProbes(t, c, n1, false)
	if err := c.writeReport(); err != nil { // the periodic rewrite, before the next sync
		t.Fatal(err)
	}
	checkApplied(t, c, vnet.NS, reportFile, map[string]bool{"n0": true, "n1": true})

	syncNow()
	checkApplied(t, c, vnet.NS, reportFile, map[string]bool{"n0": true, "n1": false})
	r, err := ReadReport(reportFile)
	if err != nil {
		t.Fatal(err)
	}
	if b := backend(t, r, "n1"); b.Last != "connection refused" {
		t.Errorf("n1's last probe in the report: %q, want the failure the probers saw", b.Last)
	}
}

func ipv4Node(name string, ip netip.Addr) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip.String()}}}}
}

// waitForProbes waits until the probers hold addr up (or down) on every probe.
func waitForProbes(t *testing.T, c *controller, addr netip.Addr, up bool) {
	t.Helper()
	poll.Eventually(t, 5*time.Second, "the probers' state of "+addr.String(), func() error {
		for _, tg := range targetsOf(c.frontends, c.pools) {
			if h := c.probes.health(tg); tg.addr == addr && h.Up != up {
				return errors.New("not yet")
			}
		}
		return nil
	})
}

// pickedMarks are the marks of the backends the table hashes new flows onto.
var pickedMarks = regexp.MustCompile(`jhash .* map \{ ([^}]*) \}`)

// checkApplied checks that the report says healthy exactly the backends in want that are
// true, and that the table hashes new flows onto those and no others.
func checkApplied(t *testing.T, c *controller, ns, reportFile string, want map[string]bool) {
	t.Helper()
	r, err := ReadReport(reportFile)
	if err != nil {
		t.Fatal(err)
	}
	var wantMarks []string
	for _, b := range r.Frontends[0].Rules[0].Backends {
		if b.Healthy != want[b.Node] {
			t.Errorf("report: %s healthy=%v, want %v", b.Node, b.Healthy, want[b.Node])
		}
		if want[b.Node] {
			wantMarks = append(wantMarks, fmt.Sprintf("%#x", markOf(c.slots[b.Node])))
		}
	}
	table := dptest.Run(t, "ip", "netns", "exec", ns, "nft", "list", "table", "inet", Table)
	var marks []string
	if m := pickedMarks.FindStringSubmatch(table); m != nil {
		for _, pick := range strings.Split(m[1], ", ") {
			_, mark, _ := strings.Cut(pick, " : ")
			marks = append(marks, mark)
		}
	}
	slices.Sort(marks)
	slices.Sort(wantMarks)
	if !slices.Equal(marks, wantMarks) {
		t.Errorf("the table hashes new flows onto the backends marked %v, want %v:\n%s", marks, wantMarks, table)
	}
}

// backend is the report's backend on node.
func backend(t *testing.T, r Report, node string) BackendReport {
	t.Helper()
	for _, b := range r.Frontends[0].Rules[0].Backends {
		if b.Node == node {
			return b
		}
	}
	t.Fatalf("no backend on %s in the report", node)
	return BackendReport{}
}
