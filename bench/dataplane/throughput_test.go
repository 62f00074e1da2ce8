package dataplane

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

var (
	seconds  = flag.Int("iperf-seconds", 4, "length of each iperf3 run")
	rounds   = flag.Int("rounds", 5, "runs per path; the paths alternate and the median counts")
	pin      = flag.Bool("pin", true, "pin every iperf3 client to CPU 0 and server to CPU 1 (same for every path)")
	ablate   = flag.Bool("ablations", true, "after the real rows, take dualnet's netfilter off step by step and measure pod -> pod again")
	vnetBrNF = flag.Bool("vnet-bridge-netfilter", false, "leave bridge netfilter on in the vnet namespace (Azure's network runs none; on, it bills the emulation's cost to dualnet)")
	idleWait = flag.Duration("idle-wait", 2*time.Minute, "how long to wait before each run for the CPUs to be idle (other benchmarks share them)")
	minIdle  = flag.Float64("idle", 0.9, "share of CPU time that must be idle before a run starts")
)

// path is one measured route through the network: a client and a server namespace.
type path struct {
	name           string
	client, server string
	addr           netip.Addr
	baseline       *path // the direct veth pair of the same family
	underlay       *path // node -> node on the vnet, the floor of any routed pod network
	runs           []result
	busy           int // runs started while the CPUs were not idle
}

func BenchmarkThroughputAgainstADirectVethPair(b *testing.B) {
	if _, err := exec.LookPath("iperf3"); err != nil {
		b.Fatal("iperf3 is missing: apt-get install iperf3")
	}
	cpus := placement{clientCPU: 0, serverCPU: 1, pinned: *pin}
	if *pin && runtime.NumCPU() < 2 {
		b.Fatalf("-pin needs 2 CPUs, this machine has %d: run with -pin=false", runtime.NumCPU())
	}
	c := agenttest.NewCluster(b, 2)
	if !*vnetBrNF {
		// The vnet bridge stands in for Azure's network, which filters nothing; with
		// bridge netfilter on (a new namespace's default) every frame crossing it pays
		// br_netfilter's hooks, in the pod rows and the node -> node rows but not in the
		// direct pair.
		setBridgeNetfilter(b, c.VNet.NS, "0")
	}
	client, server := c.Nodes[0].AddPod(b), c.Nodes[1].AddPod(b)
	vethA, vethB := directVethPair(b)

	var paths, directs []*path
	pods := map[*path]bool{} // the pod -> pod paths, measured again in the ablations
	for i, family := range []string{"IPv4", "IPv6"} {
		direct := &path{name: "direct veth pair " + family, client: vethA.Name, server: vethB.Name, addr: []netip.Addr{vethB.IPv4, vethB.IPv6}[i]}
		// The underlay row shows what the virtual network itself costs, without dualnet.
		underlay := &path{name: "node -> node on the vnet " + family, client: c.Nodes[0].Host.Name, server: c.Nodes[1].Host.Name, addr: []netip.Addr{c.Nodes[1].Host.IPv4, c.Nodes[1].Host.IPv6}[i], baseline: direct}
		pod := &path{name: "pod -> pod on other node " + family, client: client.NS.Name, server: server.NS.Name, addr: server.IPs[i], baseline: direct, underlay: underlay}
		paths = append(paths, direct, underlay, pod,
			&path{name: "pod -> vnet-host via SNAT " + family, client: client.NS.Name, server: c.VNetHost.Name, addr: []netip.Addr{c.VNetHost.IPv4, c.VNetHost.IPv6}[i], baseline: direct, underlay: underlay})
		directs = append(directs, direct)
		pods[pod] = true
	}
	measure(b, paths, cpus)
	rows := paths
	if *ablate {
		stopAgentsForAblations(b, c)
		for _, a := range ablations {
			for _, n := range c.Nodes {
				a.remove(b, n)
			}
			var step []*path
			for _, d := range directs {
				step = append(step, &path{name: d.name, client: d.client, server: d.server, addr: d.addr})
			}
			for _, p := range paths {
				if pods[p] {
					step = append(step, &path{name: p.name + ", " + a.name, client: p.client, server: p.server, addr: p.addr, baseline: step[familyIndex(p.addr)], underlay: p.underlay})
				}
			}
			measure(b, step, cpus)
			for _, p := range step {
				if p.baseline != nil {
					rows = append(rows, p)
				}
			}
		}
	}
	report(b, rows, cpus)
}

func familyIndex(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// measure runs every path once per round, alternating, so that a path and the baseline it
// is paired with run within seconds of each other.
func measure(b *testing.B, paths []*path, cpus placement) {
	for range *rounds {
		for _, p := range paths {
			idle, err := waitForIdleCPUs(*idleWait, *minIdle)
			if err != nil {
				b.Fatal(err)
			}
			if !idle {
				p.busy++
			}
			p.runs = append(p.runs, iperf3(b, p.client, p.server, p.addr, *seconds, cpus))
		}
	}
}

// report prints a table. Other processes share the two cores, so each ratio pairs a path
// with the baseline of its own round; the median of those paired ratios is the figure, and
// their spread shows how far one round can be off. The underlay ratio pairs a row with
// node -> node on the vnet of the main rounds' same round.
func report(b *testing.B, rows []*path, cpus placement) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	where := "unpinned"
	if cpus.pinned {
		where = fmt.Sprintf("client on CPU %d, server on CPU %d", cpus.clientCPU, cpus.serverCPU)
	}
	fmt.Fprintf(w, "iperf3 TCP, %d rounds x %ds, %s, vnet bridge netfilter %s\t\n", *rounds, *seconds, where, onOff(*vnetBrNF))
	fmt.Fprintf(w, "path\tGbit/s median\tmin-max\tvs direct (median of paired)\tpaired min-max\tvs node->node\tretransmits (median)\tbusy runs\t\n")
	for _, p := range rows {
		gbps := gbpsOf(p.runs)
		ratio, spread, floor := "-", "-", "-"
		if p.baseline != nil {
			paired := pairedRatios(p, p.baseline)
			ratio = fmt.Sprintf("%.3f", median(paired))
			spread = fmt.Sprintf("%.2f-%.2f", slices.Min(paired), slices.Max(paired))
			b.ReportMetric(median(paired), "ratio:"+metricName(p.name))
		}
		if p.underlay != nil && len(p.underlay.runs) == len(p.runs) {
			floor = fmt.Sprintf("%.3f", median(pairedRatios(p, p.underlay)))
		}
		fmt.Fprintf(w, "%s\t%.2f\t%.2f-%.2f\t%s\t%s\t%s\t%d\t%d\t\n", p.name, median(gbps), slices.Min(gbps), slices.Max(gbps), ratio, spread, floor, medianInt(p.runs), p.busy)
		b.ReportMetric(median(gbps), "Gbit/s:"+metricName(p.name))
	}
	w.Flush()
}

func pairedRatios(p, base *path) []float64 {
	out := make([]float64, len(p.runs))
	for i := range p.runs {
		out[i] = p.runs[i].gbps / base.runs[i].gbps
	}
	return out
}

func gbpsOf(rs []result) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.gbps
	}
	return out
}

func medianInt(rs []result) int {
	xs := make([]int, len(rs))
	for i, r := range rs {
		xs[i] = r.retransmits
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// directVethPair is the baseline: two namespaces joined by one veth pair, nothing between.
func directVethPair(b *testing.B) (a, z dptest.Host) {
	nsA, _ := dptest.NewNamespace(b, "va")
	nsZ, _ := dptest.NewNamespace(b, "vz")
	dptest.Run(b, "ip", "-n", nsA, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", nsZ)
	a = dptest.Host{Name: nsA, IPv4: netip.MustParseAddr("172.31.0.1"), IPv6: netip.MustParseAddr("fd00:31::1")}
	z = dptest.Host{Name: nsZ, IPv4: netip.MustParseAddr("172.31.0.2"), IPv6: netip.MustParseAddr("fd00:31::2")}
	for _, h := range []dptest.Host{a, z} {
		dptest.Run(b, "ip", "-n", h.Name, "addr", "add", h.IPv4.String()+"/24", "dev", "eth0")
		dptest.Run(b, "ip", "-n", h.Name, "addr", "add", h.IPv6.String()+"/64", "dev", "eth0", "nodad")
		dptest.Run(b, "ip", "-n", h.Name, "link", "set", "eth0", "up")
	}
	return a, z
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func metricName(s string) string {
	out := []rune{}
	for _, r := range s {
		switch {
		case r == ' ' || r == '>' || r == '-':
			if len(out) > 0 && out[len(out)-1] != '_' {
				out = append(out, '_')
			}
		default:
			out = append(out, r)
		}
	}
	return string(out)
}
