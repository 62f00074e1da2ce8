package agent_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/agent"
	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// sweepPeriod is short so that a test sees several sweeps within its poll deadline.
const sweepPeriod = 300 * time.Millisecond

// registrations lists the node's anti-spoofing registrations, by port index.
func registrations(n *agenttest.Node) (map[int]antispoof.Registration, error) {
	var regs map[int]antispoof.Registration
	err := n.Host.NS.Do(func() error {
		var err error
		regs, err = antispoof.Pods(context.Background())
		return err
	})
	return regs, err
}

// register adds elements for a port, as the CNI plugin's ADD does, in the node's namespace.
// The table exists already (the node has a pod), so Install never needs the node's pods.
func register(t *testing.T, n *agenttest.Node, p antispoof.Pod) {
	t.Helper()
	noRewrite := func() ([]antispoof.Pod, error) {
		return nil, errors.New("the anti-spoofing table is missing: the node's pod should have written it")
	}
	if err := n.Host.NS.Do(func() error { return antispoof.Install(context.Background(), p, noRewrite) }); err != nil {
		t.Fatalf("register port %d: %v", p.Index, err)
	}
}

// registerDeletedVeth registers a host veth of the node, then deletes the veth, as a pod
// deleted on a kernel older than 6.10 leaves it (DEL's retiring does nothing there; this
// test does not retire at all, so it holds on any kernel). It returns the gone index.
func registerDeletedVeth(t *testing.T, n *agenttest.Node, last byte) int {
	t.Helper()
	name := dptest.Name("g")
	dptest.InNS(t, n.Host.Name, "ip", "link", "add", name, "type", "veth", "peer", "name", dptest.Name("p"))
	h, err := dptest.Netlink(t, n.Host.Name)
	if err != nil {
		t.Fatal(err)
	}
	link, err := h.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	register(t, n, stalePod(link.Attrs().Index, last))
	dptest.InNS(t, n.Host.Name, "ip", "link", "del", name)
	return link.Attrs().Index
}

// stalePod is a registration at index with documentation addresses no pod of the test has.
func stalePod(index int, last byte) antispoof.Pod {
	return antispoof.Pod{
		Index: index,
		MAC:   net.HardwareAddr{0x02, 0xdd, 0, 0, 0, last},
		Addrs: []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, last}), netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", last))},
	}
}

// waitForSweep polls until none of gone is registered on the node, and fails at once if a
// registration of live changes meanwhile.
func waitForSweep(t *testing.T, n *agenttest.Node, live map[int]antispoof.Registration, gone []int) {
	t.Helper()
	poll.Eventually(t, 10*sweepPeriod+5*time.Second, fmt.Sprintf("registrations of gone ports %v swept, the live pod's kept", gone), func() error {
		regs, err := registrations(n)
		if err != nil {
			return err
		}
		for _, index := range gone {
			if _, ok := regs[index]; ok {
				return fmt.Errorf("port %d still registered: %+v", index, regs)
			}
		}
		for index, want := range live {
			if got, ok := regs[index]; !ok || !sameRegistration(got, want) {
				t.Fatalf("the live pod's registration at port %d changed: got %+v (present %v), want %+v", index, got, ok, want)
			}
		}
		return nil
	})
}

func TestAgentSweepsAntispoofRegistrationsOfGonePortsAndKeepsLivePods(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	pod := n.AddPod(t)
	live, err := registrations(n)
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 1 {
		t.Fatalf("registrations after one pod's ADD: %+v, want the pod's only", live)
	}
	for index, r := range live {
		want := antispoof.Pod{MAC: r.MAC, Addrs: pod.IPs}.Sources() // with its IPv6 link-local address
		if !r.Port || !slices.Equal(sorted(r.Addrs), sorted(want)) {
			t.Fatalf("the pod's registration at port %d: %+v, want its port and addresses %v", index, r, want)
		}
	}

	// While the agent is stopped, so the registrations are sure to be there before it sweeps.
	n.StopAgent()
	deleted := registerDeletedVeth(t, n, 1)
	const neverIndex = 1<<31 - 1 // the kernel counts up from 1 per namespace; no test gets here
	register(t, n, stalePod(neverIndex, 2))
	if regs, err := registrations(n); err != nil || len(regs) != 3 {
		t.Fatalf("registrations before the sweep: %+v (%v), want the pod's and two stale ones", regs, err)
	}
	n.AgentConfig.AntispoofSweep = sweepPeriod
	n.Start(t)
	waitForSweep(t, n, live, []int{deleted, neverIndex})

	// A pod deleted while the agent runs is swept by a later sweep, not only at start.
	again := registerDeletedVeth(t, n, 3)
	waitForSweep(t, n, live, []int{again})
	n.WaitReady(t) // and the sweeps did not keep the node from being ready
}

// `nft flush ruleset` (a firewall reload) on a node where no pod starts afterwards: the
// agent writes the table again with the running pod's registration.
func TestAgentWritesTheAntispoofTableAgainAfterAFirewallReload(t *testing.T) {
	n, live := nodeWithAPod(t, sweepPeriod)
	dptest.InNS(t, n.Host.Name, "nft", "delete", "table", "bridge", antispoof.Table)
	poll.Eventually(t, 10*sweepPeriod+5*time.Second, "the anti-spoofing table written again with the pod", func() error {
		var what string
		err := n.Host.NS.Do(func() error {
			var err error
			what, err = antispoof.Damage(context.Background())
			return err
		})
		if err != nil || what != "" {
			return fmt.Errorf("%s%v", what, err)
		}
		regs, err := registrations(n)
		if err != nil {
			return err
		}
		for index, want := range live {
			if got := regs[index]; !sameRegistration(got, want) {
				return fmt.Errorf("the pod's registration at port %d: %+v, want %+v", index, got, want)
			}
		}
		return nil
	})
}

// nodeWithAPod is a node with one pod whose agent sweeps every period, and the pod's
// registration.
func nodeWithAPod(t *testing.T, period time.Duration) (*agenttest.Node, map[int]antispoof.Registration) {
	t.Helper()
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	n.AddPod(t)
	live, err := registrations(n)
	if err != nil || len(live) != 1 {
		t.Fatalf("registrations after one pod's ADD: %+v (%v), want the pod's only", live, err)
	}
	restartSweepingEvery(t, n, period)
	return n, live
}

// restartSweepingEvery restarts the node's agent to sweep every period, and waits until its
// first sweep, at start, is over, and its first sync too, by which time it watches the tables:
// a table loaded after that is seen being made.
func restartSweepingEvery(t *testing.T, n *agenttest.Node, period time.Duration) {
	t.Helper()
	n.StopAgent()
	n.AgentConfig.AntispoofSweep = period
	n.Start(t)
	poll.Eventually(t, 10*time.Second, "the agent's first sync and sweep", func() error {
		m := scrape(t, n.Agent)
		return errors.Join(wantAtLeast(m, "dualnet_agent_syncs_total", 1, "result", "ok"), wantAtLeast(m, "dualnet_agent_antispoof_sweeps_total", 1))
	})
}

// sameRegistration compares registrations; nft lists a set's elements in no fixed order.
func sameRegistration(a, b antispoof.Registration) bool {
	return a.Port == b.Port && a.Index == b.Index && bytes.Equal(a.MAC, b.MAC) && slices.Equal(sorted(a.Addrs), sorted(b.Addrs))
}

func sorted(addrs []netip.Addr) []netip.Addr {
	return slices.SortedFunc(slices.Values(addrs), netip.Addr.Compare)
}

func TestConfigValidateRejectsANegativeAntispoofSweep(t *testing.T) {
	cfg := agent.Config{NodeName: "n", Spec: netspec.Default(), Routes: agent.HostRoutes, CNIConfDir: "/a", CNIBinDir: "/b", CNIDataDir: "/c", Bridge: "cbr0", Resync: time.Second, AntispoofSweep: -time.Second}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--antispoof-sweep=-1s") {
		t.Errorf("Validate = %v, want an error naming --antispoof-sweep and its value", err)
	}
	cfg.AntispoofSweep = 0
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate with a zero sweep period (the default) = %v, want nil", err)
	}
}

// A ruleset saved in another boot and loaded by a firewall reload brings back that boot's
// registrations, under interface indexes this boot has handed out again: here an old pod's MAC
// and address on the live pod's port. The agent replaces the table as soon as it sees it
// made, long before its next periodic sweep.
func TestAgentReplacesAnAntispoofTableOfAnotherBootWhenItIsLoaded(t *testing.T) {
	n, live := nodeWithAPod(t, time.Hour)

	bootID, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Fatal(err)
	}
	thisBoot := "chain boot-" + strings.TrimSpace(string(bootID)) + " "
	table := dptest.InNS(t, n.Host.Name, "nft", "list", "table", "bridge", antispoof.Table)
	if !strings.Contains(table, thisBoot) || !regexp.MustCompile(`chain netns-[0-9]+ `).MatchString(table) {
		t.Fatalf("the table does not name this boot (%s) and the node's namespace:\n%s", bootID, table)
	}
	var port int
	for index := range live {
		port = index
	}
	saved := filepath.Join(t.TempDir(), "saved.nft")
	ruleset := "delete table bridge " + antispoof.Table + "\n" +
		strings.Replace(table, thisBoot, "chain boot-00000000-0000-4000-8000-000000000000 ", 1) +
		fmt.Sprintf("add element bridge %s ipv4 { %d . 02:ee:00:00:00:01 . 10.244.0.99 }\n", antispoof.Table, port)
	if err := os.WriteFile(saved, []byte(ruleset), 0o600); err != nil {
		t.Fatal(err)
	}
	dptest.InNS(t, n.Host.Name, "nft", "-f", saved)

	poll.Eventually(t, 10*time.Second, "the table of another boot replaced with the live pod", func() error {
		table := dptest.InNS(t, n.Host.Name, "nft", "list", "table", "bridge", antispoof.Table)
		if strings.Contains(table, "02:ee:00:00:00:01") || !strings.Contains(table, thisBoot) {
			return fmt.Errorf("the table still holds the other boot's elements, or does not name this boot:\n%s", table)
		}
		regs, err := registrations(n)
		if err != nil {
			return err
		}
		if got := regs[port]; !sameRegistration(got, live[port]) {
			return fmt.Errorf("the pod's registration at port %d: %+v, want %+v", port, got, live[port])
		}
		return nil
	})
}

// On a node with no pod there is no table to delete, so loading one sends only what makes it:
// the agent still replaces it at once, here with an empty table of this boot.
func TestAgentReplacesAnAntispoofTableOfAnotherBootLoadedWhereThereWasNone(t *testing.T) {
	n := agenttest.NewCluster(t, 1).Nodes[0]
	restartSweepingEvery(t, n, time.Hour)
	saved := filepath.Join(t.TempDir(), "saved.nft")
	err := os.WriteFile(saved, []byte(`table bridge `+antispoof.Table+` {
	set ports { type iface_index ; flags timeout ; elements = { 1 } }
	set macs { type iface_index . ether_addr ; flags timeout ; elements = { 1 . 02:ee:00:00:00:01 } }
	set ipv4 { type iface_index . ether_addr . ipv4_addr ; flags timeout ; elements = { 1 . 02:ee:00:00:00:01 . 10.244.0.99 } }
	chain boot-00000000-0000-4000-8000-000000000000 { }
}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	dptest.InNS(t, n.Host.Name, "nft", "-f", saved)

	poll.Eventually(t, 10*time.Second, "the table of another boot replaced", func() error {
		table := dptest.InNS(t, n.Host.Name, "nft", "list", "table", "bridge", antispoof.Table)
		if strings.Contains(table, "02:ee:00:00:00:01") || strings.Contains(table, "boot-00000000") {
			return fmt.Errorf("the table still holds the other boot's elements:\n%s", table)
		}
		return nil
	})
}
