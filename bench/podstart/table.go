package main

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/dualnet/dualnet/bench/goals"
)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(ds []time.Duration) time.Duration { return percentile(ds, 50) }

// percentile is the nearest-rank percentile of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(i, 0)]
}

// figures are one plugin's figures over all its rounds.
type figures struct {
	up, down, p50, p99, setUp, tearDown time.Duration
	cpuUp, cpuDown                      cpuUse // per pod
}

func summarize(rounds []round) figures {
	var up, down, setUp, tearDown, perPod, machineUp, childrenUp, machineDown, childrenDown []time.Duration
	for _, r := range rounds {
		up, down = append(up, r.up), append(down, r.down)
		setUp, tearDown = append(setUp, r.setUp), append(tearDown, r.tearDown)
		perPod = append(perPod, r.perPod...)
		machineUp, childrenUp = append(machineUp, r.cpuUp.machine), append(childrenUp, r.cpuUp.containerdChildren)
		machineDown, childrenDown = append(machineDown, r.cpuDown.machine), append(childrenDown, r.cpuDown.containerdChildren)
	}
	return figures{
		up: median(up), down: median(down),
		p50: percentile(perPod, 50), p99: percentile(perPod, 99),
		setUp: median(setUp), tearDown: median(tearDown),
		cpuUp:   cpuUse{machine: median(machineUp), containerdChildren: median(childrenUp)},
		cpuDown: cpuUse{machine: median(machineDown), containerdChildren: median(childrenDown)},
	}
}

// printTable writes the markdown table: each plugin's medians over its rounds, per-pod
// percentiles over all its pods, and dualnet / upstream.
func printTable(w io.Writer, pods, rounds int, node string, results map[string][]round, loadStart, loadEnd string) {
	d, u := summarize(results["dualnet"]), summarize(results["upstream"])
	fmt.Fprintf(w, "\n### Pod start on a lab node (%s): %d pods, %d rounds per plugin, interleaved; load average %s at start, %s at end\n\n", node, pods, rounds, loadStart, loadEnd)
	fmt.Fprintln(w, "| | 0 -> N all Ready (s) | N -> 0 all gone (s) | per pod seen -> Ready p50 (s) | p99 (s) | containerd CNI set-up per pod (ms) | tear-down per pod (ms) | CPU per pod started: machine (ms) | containerd's children (ms) | CPU per pod stopped: machine (ms) | containerd's children (ms) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	row := func(name string, f figures) {
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %.0f | %.1f | %.0f | %.1f |\n", name, f.up.Seconds(), f.down.Seconds(),
			f.p50.Seconds(), f.p99.Seconds(), ms(f.setUp), ms(f.tearDown),
			ms(f.cpuUp.machine), ms(f.cpuUp.containerdChildren), ms(f.cpuDown.machine), ms(f.cpuDown.containerdChildren))
	}
	row("dualnet", d)
	row("upstream bridge + host-local + portmap + bandwidth", u)
	ratio := func(a, b time.Duration) string {
		if b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", float64(a)/float64(b))
	}
	fmt.Fprintf(w, "| dualnet / upstream | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", ratio(d.up, u.up), ratio(d.down, u.down),
		ratio(d.p50, u.p50), ratio(d.p99, u.p99), ratio(d.setUp, u.setUp), ratio(d.tearDown, u.tearDown),
		ratio(d.cpuUp.machine, u.cpuUp.machine), ratio(d.cpuUp.containerdChildren, u.cpuUp.containerdChildren),
		ratio(d.cpuDown.machine, u.cpuDown.machine), ratio(d.cpuDown.containerdChildren, u.cpuDown.containerdChildren))
	fmt.Fprintln(w, "\nCPU per pod is each way's CPU time over the pods, the median of the rounds. containerd's children are the chain's CNI")
	fmt.Fprintln(w, "calls and the shim binary's commands (the same for both); a stopped pod's includes removing its sandbox (bench/podstart's doc).")
	// make bench's summary: figures with no goal of their own, beside the goals.
	for _, f := range [][2]string{
		{fmt.Sprintf("0 -> %d pods all Ready", pods), fmt.Sprintf("%.2f s vs %.2f s", d.up.Seconds(), u.up.Seconds()) + ": " + ratio(d.up, u.up)},
		{fmt.Sprintf("%d -> 0 pods all gone", pods), fmt.Sprintf("%.2f s vs %.2f s", d.down.Seconds(), u.down.Seconds()) + ": " + ratio(d.down, u.down)},
		{"containerd's CNI set-up per pod", fmt.Sprintf("%.1f ms vs %.1f ms", ms(d.setUp), ms(u.setUp)) + ": " + ratio(d.setUp, u.setUp)},
		{"CPU per pod started, containerd's children (the CNI chain, shim commands)",
			fmt.Sprintf("%.1f ms vs %.1f ms", ms(d.cpuUp.containerdChildren), ms(u.cpuUp.containerdChildren)) + ": " + ratio(d.cpuUp.containerdChildren, u.cpuUp.containerdChildren)},
		{"CPU per pod started, the whole machine", fmt.Sprintf("%.0f ms vs %.0f ms", ms(d.cpuUp.machine), ms(u.cpuUp.machine)) + ": " + ratio(d.cpuUp.machine, u.cpuUp.machine)},
	} {
		goals.Record("podstart", "pod start on a lab node, "+f[0]+", dualnet vs the upstream chain", f[1], goals.NoGoal)
	}
}
