package dataplane

import (
	"cmp"
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

	"github.com/dualnet/dualnet/bench/goals"
	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

var (
	seconds   = flag.Int("seconds", 4, "seconds of throughput per path in each round (the paths take turns in one run)")
	rrSeconds = flag.Int("rr-seconds", 3, "seconds of request/response per path in each round (the paths take turns in one run)")
	rounds    = flag.Int("rounds", 5, "runs per path; the paths alternate and the median counts")
	pin       = flag.Bool("pin", true, "pin every client to CPU 0 and server to CPU 1 (same for every path)")
	ablate    = flag.Bool("ablations", true, "after the real rows, take dualnet's netfilter off step by step and measure pod -> pod again")
	vnetBrNF  = flag.Bool("vnet-bridge-netfilter", false, "leave bridge netfilter on in the vnet namespace (Azure's network runs none; on, it bills the emulation's cost to both stacks)")
	idleWait  = flag.Duration("idle-wait", 2*time.Minute, "how long to wait before each run for the CPUs to be idle (other benchmarks share them)")
	minIdle   = flag.Float64("idle", 0.9, "share of CPU time that must be idle before a run starts")
)

// The goals against the peer, both families, anti-spoofing included.
const (
	goalThroughput = 0.97 // dualnet's Gbit/s at least this share of the peer's
	goalLatency    = 1.05 // dualnet's request/response p50 at most this multiple of the peer's
)

// path is one measured route through the network: a client and a server namespace.
type path struct {
	name           string
	client, server string
	addr           netip.Addr
	baseline       *path      // the direct veth pair of the same family
	underlay       *path      // node -> node on the vnet, the floor of any routed pod network
	peer           *path      // the same route through the peer stack, on dualnet's rows
	before         *path      // on an ablation row, the same path before this step's removal
	runs           []rrResult // throughput
	rr             []rrResult // request/response
	busy           int        // runs started while the CPUs were not idle
}

func BenchmarkDataplaneAgainstThePeer(b *testing.B) {
	for name, v := range map[string]int{"-seconds": *seconds, "-rr-seconds": *rrSeconds, "-rounds": *rounds} {
		if v < 1 {
			b.Fatalf("%s %d: must be at least 1", name, v)
		}
	}
	cpus := placement{clientCPU: 0, serverCPU: 1, pinned: *pin}
	if *pin {
		if runtime.NumCPU() < 2 {
			b.Fatalf("-pin needs 2 CPUs, this machine has %d: run with -pin=false", runtime.NumCPU())
		}
		if _, err := exec.LookPath("taskset"); err != nil {
			b.Fatal("-pin needs taskset (util-linux), or run with -pin=false")
		}
	}
	rr := buildRR(b)
	c := agenttest.NewCluster(b, 2)
	if !*vnetBrNF {
		// The vnet bridge stands in for Azure's network, which filters nothing; with
		// bridge netfilter on (a new namespace's default) every frame crossing it pays
		// br_netfilter's hooks, in the pod rows and the node -> node rows but not in the
		// direct pair.
		setBridgeNetfilter(b, c.VNet.NS, "0")
	}
	client, server := c.Nodes[0].AddPod(b), c.Nodes[1].AddPod(b)
	peerClient, peerServer := newPeer(b, c)
	vethA, vethB := directVethPair(b)

	var paths, directs []*path
	pods := map[*path]bool{} // dualnet's and the peer's pod -> pod paths, measured again in the ablations
	for i, family := range []string{"IPv4", "IPv6"} {
		direct := &path{name: "direct veth pair " + family, client: vethA.Name, server: vethB.Name, addr: []netip.Addr{vethB.IPv4, vethB.IPv6}[i]}
		// The underlay row shows what the virtual network itself costs, without dualnet.
		underlay := &path{name: "node -> node on the vnet " + family, client: c.Nodes[0].Host.Name, server: c.Nodes[1].Host.Name, addr: []netip.Addr{c.Nodes[1].Host.IPv4, c.Nodes[1].Host.IPv6}[i], baseline: direct}
		vnetHost := []netip.Addr{c.VNetHost.IPv4, c.VNetHost.IPv6}[i]
		peerPod := &path{name: "peer: pod -> pod on other node " + family, client: peerClient.NS.Name, server: peerServer.NS.Name, addr: peerServer.IPs[i], baseline: direct, underlay: underlay}
		peerSNAT := &path{name: "peer: pod -> vnet-host via SNAT " + family, client: peerClient.NS.Name, server: c.VNetHost.Name, addr: vnetHost, baseline: direct, underlay: underlay}
		pod := &path{name: "pod -> pod on other node " + family, client: client.NS.Name, server: server.NS.Name, addr: server.IPs[i], baseline: direct, underlay: underlay, peer: peerPod}
		snat := &path{name: "pod -> vnet-host via SNAT " + family, client: client.NS.Name, server: c.VNetHost.Name, addr: vnetHost, baseline: direct, underlay: underlay, peer: peerSNAT}
		paths = append(paths, direct, underlay, pod, peerPod, snat, peerSNAT)
		directs = append(directs, direct)
		pods[pod], pods[peerPod] = true, true
	}
	measure(b, paths, rr, cpus)
	rows := paths
	if *ablate {
		rows = append(rows, measureAblations(b, c, paths, directs, pods, rr, cpus)...)
	}
	report(b, rows, cpus)
}

// measureAblations stops the agents, takes dualnet's per-packet work off its nodes step by
// step (ablations) and after each step measures dualnet's pod -> pod paths again, beside the
// direct pairs and the peer's pod -> pod paths (untouched), in rounds of their own. It returns
// dualnet's rows of every step.
func measureAblations(b *testing.B, c *agenttest.Cluster, paths, directs []*path, pods map[*path]bool, rr string, cpus placement) (rows []*path) {
	stopAgentsForAblations(b, c)
	last := map[*path]*path{} // each of dualnet's pod -> pod paths as the latest step left it
	for _, a := range ablations {
		for _, n := range c.Nodes {
			a.remove(b, n)
		}
		var step []*path
		for _, d := range directs {
			step = append(step, &path{name: d.name, client: d.client, server: d.server, addr: d.addr})
		}
		peers := map[*path]*path{} // the peer's path of this step, by the main rows' one
		for _, p := range paths {
			if pods[p] && p.peer == nil {
				q := &path{name: p.name, client: p.client, server: p.server, addr: p.addr, baseline: step[familyIndex(p.addr)]}
				peers[p] = q
				step = append(step, q)
			}
		}
		for _, p := range paths {
			if pods[p] && p.peer != nil {
				before := cmp.Or(last[p], p)
				last[p] = &path{name: p.name + ", " + a.name, client: p.client, server: p.server, addr: p.addr, baseline: step[familyIndex(p.addr)], peer: peers[p.peer], before: before}
				step = append(step, last[p])
			}
		}
		measure(b, step, rr, cpus)
		for _, p := range step {
			if p.peer != nil {
				rows = append(rows, p)
			}
		}
	}
	return rows
}

func familyIndex(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// measure runs every path once per round, in two runs of all paths taking turns
// (inTurns): throughput, then request/response. The order reverses every other round, so
// that neither dualnet nor the peer always goes first in a turn.
func measure(b *testing.B, paths []*path, rr string, cpus placement) {
	for r := range *rounds {
		order := slices.Clone(paths)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, run := range []struct {
			kind    runKind
			seconds int
			add     func(*path, rrResult)
		}{
			{throughput, *seconds, func(p *path, res rrResult) { p.runs = append(p.runs, res) }},
			{requestResponse, *rrSeconds, func(p *path, res rrResult) { p.rr = append(p.rr, res) }},
		} {
			idle := waitIdle(b)
			for i, res := range inTurns(b, rr, run.kind, order, run.seconds, cpus) {
				run.add(order[i], res)
				if !idle {
					order[i].busy++
				}
			}
		}
	}
}

// waitIdle waits for the CPUs to be idle and says whether they became so.
func waitIdle(b *testing.B) bool {
	idle, err := waitForIdleCPUs(*idleWait, *minIdle)
	if err != nil {
		b.Fatal(err)
	}
	return idle
}

// report prints two tables, throughput and request/response latency. Other processes
// share the two cores, so each ratio pairs a path with the row it is compared with in the
// same round; the median of those paired ratios is the figure, and their spread shows how
// far one round can be off.
func report(b *testing.B, rows []*path, cpus placement) {
	where := "unpinned"
	if cpus.pinned {
		where = fmt.Sprintf("client on CPU %d, server on CPU %d", cpus.clientCPU, cpus.serverCPU)
	}
	probe := ""
	if *peerProbe {
		probe = ", AKS's IPv6 LB probe table"
	}
	fmt.Printf("\n%d rounds, %s, vnet bridge netfilter %s; peer = upstream bridge + host-local v1.10.0, ip-masq-agent masquerade, bridge netfilter on%s\n\n",
		*rounds, where, onOff(*vnetBrNF), probe)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "throughput, %d MiB requests, %ds a path, paths in turns\tGbit/s median\tmin-max\tvs peer (median of paired)\tpaired min-max\tgoal >= %.2f\tvs direct\tvs node->node\tretransmits (median)\tbusy runs\t\n", throughput.size>>20, *seconds, goalThroughput)
	for _, p := range rows {
		gbps := gbpsOf(p.runs)
		vsPeer, spread, goal := "-", "-", "-"
		if p.peer != nil {
			ratios := paired(p, p.peer, gbpsAt)
			vsPeer, spread = fmt.Sprintf("%.3f", median(ratios)), minMax(ratios)
			goal = goals.Verdict(median(ratios) >= goalThroughput)
			b.ReportMetric(median(ratios), "vs-peer:"+metricName(p.name))
			recordGoal(p, fmt.Sprintf("throughput >= %.2f of the peer", goalThroughput), vsPeer, spread, goal)
		}
		fmt.Fprintf(w, "%s\t%.2f\t%.2f-%.2f\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t\n", p.name, median(gbps), slices.Min(gbps), slices.Max(gbps),
			vsPeer, spread, goal, vsRow(p, p.baseline, gbpsAt), vsRow(p, p.underlay, gbpsAt), medianRetransmits(p.runs), p.busy)
		b.ReportMetric(median(gbps), "Gbit/s:"+metricName(p.name))
	}
	w.Flush()
	fmt.Println()
	w = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "request/response 1 byte, %ds a path, paths in turns\tp50 µs median\tmin-max\tp99 µs median\tvs peer p50 (median of paired)\tpaired min-max\tgoal <= %.2f\tvs peer p99\tvs direct p50\tvs node->node p50\t\n", *rrSeconds, goalLatency)
	for _, p := range rows {
		p50s, p99s := rrOf(p.rr, rrResult.p50), rrOf(p.rr, rrResult.p99)
		vsPeer, spread, goal, vsPeer99 := "-", "-", "-", "-"
		if p.peer != nil {
			ratios := paired(p, p.peer, p50At)
			vsPeer, spread = fmt.Sprintf("%.3f", median(ratios)), minMax(ratios)
			goal = goals.Verdict(median(ratios) <= goalLatency)
			recordGoal(p, fmt.Sprintf("request/response p50 <= %.2f of the peer", goalLatency), vsPeer, spread, goal)
			vsPeer99 = fmt.Sprintf("%.3f", median(paired(p, p.peer, p99At)))
			b.ReportMetric(median(ratios), "p50-vs-peer:"+metricName(p.name))
		}
		fmt.Fprintf(w, "%s\t%.1f\t%.1f-%.1f\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", p.name, median(p50s), slices.Min(p50s), slices.Max(p50s), median(p99s),
			vsPeer, spread, goal, vsPeer99, vsRow(p, p.baseline, p50At), vsRow(p, p.underlay, p50At))
		b.ReportMetric(median(p50s), "p50-µs:"+metricName(p.name))
	}
	w.Flush()
	reportAblations(rows)
}

// reportAblations prints what each ablation step saved against the step before it. The
// steps ran in runs of their own, so the savings come from the ratios to the peer, paired
// within each step's runs; the Gbit/s of two steps are from different runs and carry the
// drift between them. A 1-byte round trip is two packets, and the anti-spoofing table sees each
// once (where it enters the bridge from the sending pod), so half of its round-trip saving is
// its price per packet.
func reportAblations(rows []*path) {
	var steps []*path
	for _, p := range rows {
		if p.before != nil {
			steps = append(steps, p)
		}
	}
	if len(steps) == 0 {
		return
	}
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "ablation: what the step saved\tp50 µs saved per round trip\tper packet\tp50 vs peer before -> after\tGbit/s before -> after\tGbit/s vs peer before -> after\t\n")
	for _, p := range steps {
		// From the ratios to the peer, which ran in the same turns as each step, times the
		// peer's p50: the difference of the two steps' own medians would carry the drift
		// between their runs.
		saved := (median(paired(p.before, p.before.peer, p50At)) - median(paired(p, p.peer, p50At))) * median(rrOf(p.peer.rr, rrResult.p50))
		fmt.Fprintf(w, "%s\t%.1f\t%.1f\t%.3f -> %.3f\t%.2f -> %.2f\t%.3f -> %.3f\t\n", p.name, saved, saved/2,
			median(paired(p.before, p.before.peer, p50At)), median(paired(p, p.peer, p50At)),
			median(gbpsOf(p.before.runs)), median(gbpsOf(p.runs)),
			median(paired(p.before, p.before.peer, gbpsAt)), median(paired(p, p.peer, gbpsAt)))
	}
	w.Flush()
}

// vsRow is the median of p's figures paired round by round with base's, "-" without base.
// An ablation row has no node -> node row of its own runs, so it shows none.
func vsRow(p, base *path, figure func(*path, int) float64) string {
	if base == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", median(paired(p, base, figure)))
}

func gbpsAt(p *path, i int) float64 { return p.runs[i].Gbps }
func p50At(p *path, i int) float64  { return float64(p.rr[i].P50) }
func p99At(p *path, i int) float64  { return float64(p.rr[i].P99) }

// recordGoal adds a row's verdict to make bench's summary; an ablation row measures a
// step's price and is judged by no goal.
func recordGoal(p *path, goal, ratio, spread, verdict string) {
	if p.before == nil {
		goals.Record("dataplane", p.name+": "+goal, ratio+" (paired rounds "+spread+")", verdict)
	}
}

func minMax(xs []float64) string { return fmt.Sprintf("%.2f-%.2f", slices.Min(xs), slices.Max(xs)) }

// rrOf is one figure of every request/response run, in µs.
func rrOf(rs []rrResult, figure func(rrResult) time.Duration) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = float64(figure(r)) / float64(time.Microsecond)
	}
	return out
}

// paired is p's figure over base's, round by round.
func paired(p, base *path, figure func(*path, int) float64) []float64 {
	out := make([]float64, len(p.runs))
	for i := range p.runs {
		out[i] = figure(p, i) / figure(base, i)
	}
	return out
}

func gbpsOf(rs []rrResult) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.Gbps
	}
	return out
}

func medianRetransmits(rs []rrResult) int {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = float64(r.Retransmits)
	}
	return int(median(xs))
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

// median is the middle value, or the mean of the two middle ones when there is an even
// number (the upper one alone would be the maximum of two rounds).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
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
