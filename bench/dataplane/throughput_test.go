package dataplane

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"testing"
	"text/tabwriter"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

var (
	seconds = flag.Int("iperf-seconds", 5, "length of each iperf3 run")
	rounds  = flag.Int("rounds", 3, "runs per path; the paths alternate and the median counts")
)

// path is one measured route through the network: a client and a server namespace.
type path struct {
	name           string
	client, server string
	addr           netip.Addr
	baseline       *path // the direct veth pair of the same family
	gbps           []float64
}

func BenchmarkThroughputAgainstADirectVethPair(b *testing.B) {
	if _, err := exec.LookPath("iperf3"); err != nil {
		b.Fatal("iperf3 is missing: apt-get install iperf3")
	}
	c := agenttest.NewCluster(b, 2)
	client, server := c.Nodes[0].AddPod(b), c.Nodes[1].AddPod(b)
	vethA, vethB := directVethPair(b)

	var paths []*path
	for i, family := range []string{"IPv4", "IPv6"} {
		direct := &path{name: "direct veth pair " + family, client: vethA.Name, server: vethB.Name, addr: []netip.Addr{vethB.IPv4, vethB.IPv6}[i]}
		// The underlay row shows what the virtual network itself costs, without dualnet.
		underlay := &path{name: "node -> node on the vnet " + family, client: c.Nodes[0].Host.Name, server: c.Nodes[1].Host.Name, addr: []netip.Addr{c.Nodes[1].Host.IPv4, c.Nodes[1].Host.IPv6}[i], baseline: direct}
		paths = append(paths, direct, underlay,
			&path{name: "pod -> pod on other node " + family, client: client.NS.Name, server: server.NS.Name, addr: server.IPs[i], baseline: direct},
			&path{name: "pod -> vnet-host via SNAT " + family, client: client.NS.Name, server: c.VNetHost.Name, addr: []netip.Addr{c.VNetHost.IPv4, c.VNetHost.IPv6}[i], baseline: direct})
	}
	for range *rounds {
		for _, p := range paths {
			p.gbps = append(p.gbps, iperf3(b, p.client, p.server, p.addr, *seconds))
		}
	}
	// Other processes share the two cores, so a round's baseline and paths run back to back
	// and each ratio pairs a path with the baseline of its own round; the median of those
	// paired ratios is the figure, with the best run of each path beside it.
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "path\tGbit/s median\tGbit/s best\tratio (median of paired)\tratio of bests\truns (%d x %ds)\t\n", *rounds, *seconds)
	for _, p := range paths {
		ratio, bestRatio := "-", "-"
		if p.baseline != nil {
			paired := make([]float64, len(p.gbps))
			for i := range p.gbps {
				paired[i] = p.gbps[i] / p.baseline.gbps[i]
			}
			ratio = fmt.Sprintf("%.3f", median(paired))
			bestRatio = fmt.Sprintf("%.3f", slices.Max(p.gbps)/slices.Max(p.baseline.gbps))
			b.ReportMetric(median(paired), "ratio:"+metricName(p.name))
		}
		fmt.Fprintf(w, "%s\t%.2f\t%.2f\t%s\t%s\t%s\t\n", p.name, median(p.gbps), slices.Max(p.gbps), ratio, bestRatio, runs(p.gbps))
		b.ReportMetric(median(p.gbps), "Gbit/s:"+metricName(p.name))
	}
	w.Flush()
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

func runs(xs []float64) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%.2f", x)
	}
	return out
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
