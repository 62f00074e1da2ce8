// Command cni measures dualnet-cni against the upstream bridge + host-local plugins
// (containernetworking/plugins v1.10.0, built from the module in go.mod) through the same
// libcni driver, in one run: single-stack and dual-stack, sequential and parallel, ADD and
// DEL latency percentiles and the ratios dualnet/upstream. The floors run in the same rounds:
// a plugin that does no work (floor/) through the same driver, what every call costs before
// any plugin does anything, and a bare veth pair created and deleted through netlink in the
// same node namespace, what the kernel charges for the one device every such plugin makes.
// It prints the goals beside them, each marked met or not: dual-stack ADD p50 at most 0.45
// and p99 at most 0.3 of upstream's, DEL p50 at most the bare veth deletion's plus 3 ms.
//
// It runs as root inside a network namespace it creates (the "node"), with pod namespaces
// dn-bench-cnitest*; nothing touches the host's network.
//
//	go run ./bench/cni [-pods 100] [-parallel 20] [-rounds 2] [-dir /dev/shm] [-keep]
//	go run ./bench/cni -compare /path/to/other/dualnet-cni [-pods 100] [-rounds 2]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/containernetworking/cni/libcni"

	"github.com/dualnet/dualnet/bench/goals"
	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

func main() {
	pods := flag.Int("pods", 100, "pods per scenario (each is added, then deleted)")
	parallel := flag.Int("parallel", 20, "concurrent calls in the parallel scenarios")
	rounds := flag.Int("rounds", 2, "rounds per scenario; the plugins alternate between rounds")
	dir := flag.String("dir", "/dev/shm", "where the work directory goes: the plugins' binaries (so it must allow exec) and their state (README.md)")
	keep := flag.Bool("keep", false, "keep the work directory (the plugins' binaries, which a profiler needs for their symbols)")
	other := flag.String("compare", "", "instead of the benchmark, compare the CPU per call of this tree's dualnet-cni with the build at this path (compare.go)")
	flag.Parse()
	// Fetch what the builds below need while the module proxy is reachable: they run in the
	// node namespace, which has no route out, and the upstream plugins import modules that
	// dualnet's own packages do not (go-nft through pkg/link, go-iptables through
	// pkg/utils), so a fresh module cache lacks them.
	if err := fetchModules(); err != nil {
		fail(err)
	}
	if err := cnitest.RunInNodeNamespace(); err != nil {
		fail(err)
	}
	if *other != "" {
		if err := compare(*other, *pods, *rounds, *dir); err != nil {
			fail(err)
		}
		return
	}
	if err := run(*pods, *parallel, *rounds, *dir, *keep); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/cni:", err)
	os.Exit(1)
}

// binaries are the plugins the benchmark builds, by file name.
var binaries = map[string]string{
	"dualnet":    "github.com/dualnet/dualnet/cmd/dualnet-cni",
	"bridge":     "github.com/containernetworking/plugins/plugins/main/bridge",
	"host-local": "github.com/containernetworking/plugins/plugins/ipam/host-local",
	"floor":      "github.com/dualnet/dualnet/bench/cni/floor",
	"vethonly":   "github.com/dualnet/dualnet/bench/cni/vethonly",
}

// fetchModules downloads every module the binaries import (go list loads their packages as
// cnitest.Build builds them, fetching what the module cache lacks); with a full cache it
// takes well under a second.
func fetchModules() error {
	if cnitest.InNodeNamespace() {
		return nil // the re-executed benchmark, inside the node namespace: the parent fetched
	}
	args := []string{"list", "-deps"}
	for _, pkg := range binaries {
		args = append(args, pkg)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

type scenario struct {
	stack    string // "single" or "dual"
	parallel int
}

// plugin is one column of the table: a plugin driven through libcni (conflist), or, with
// conflist nil, the veth pairs made through netlink (measureVeth), bare or configured.
type plugin struct {
	name      string
	conflist  func(stack, dataDir string) []byte
	configure bool // for a veth pair: set it up as a plugin leaves it before the deletion
}

// The goals against upstream, for the dual-stack scenarios.
const (
	goalAddP50   = 0.45                 // dualnet's ADD p50 at most this share of upstream's
	goalAddP99   = 0.30                 // and its p99 at most this share of upstream's p99
	goalDelAbove = 3 * time.Millisecond // dualnet's DEL p50 at most the bare veth deletion's p50 plus this
)

func run(pods, parallel, rounds int, dir string, keep bool) error {
	// The plugins' state (libcni's result cache, host-local's reservations, dualnet's store)
	// goes on a tmpfs by default, not the disk, where a node keeps it: the CI VM's ext4 has no
	// journal, and without one every new file scans past the inodes deleted in the last
	// minutes, anyone's, so the cost of a file grew with what the machine had deleted before
	// the run and during it (README.md). A node's ext4 has a journal and does not scan.
	work, err := os.MkdirTemp(dir, "dualnet-bench-cni-")
	if err != nil {
		return err
	}
	if keep {
		defer fmt.Printf("kept %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	bin := filepath.Join(work, "bin")
	fmt.Println("building dualnet-cni, bridge and host-local v1.10.0 ...")
	for out, pkg := range binaries {
		if err := cnitest.Build(filepath.Join(bin, out), pkg); err != nil {
			return err
		}
	}
	startLoad := loadAverage()
	plugins := []plugin{{name: "dualnet", conflist: dualnetConf}, {name: "upstream", conflist: upstreamConf}, {name: "floor", conflist: floorConf},
		{name: "vethonly", conflist: vethOnlyConf}, {name: "veth"}, {name: "vethconf", configure: true}}
	scenarios := []scenario{{"single", 1}, {"dual", 1}, {"single", parallel}, {"dual", parallel}}

	type key struct {
		plugin string
		sc     scenario
		verb   string
	}
	byRound := map[key][][]time.Duration{} // each call's latency, round by round
	cpu := map[key]time.Duration{}         // the plugin's processes' CPU time, over all of its calls
	for _, sc := range scenarios {
		for r := 0; r < rounds; r++ {
			order := slices.Clone(plugins)
			if r%2 == 1 { // alternate, so no plugin always runs on a warmer machine
				slices.Reverse(order)
			}
			for _, p := range order {
				var add, del []time.Duration
				var used [2]time.Duration
				if p.conflist == nil {
					add, del, err = measureVeth(pods, sc.parallel, p.configure)
				} else {
					add, del, used, err = measure(p, sc, bin, filepath.Join(work, fmt.Sprintf("%s-%s-%d-%d", p.name, sc.stack, sc.parallel, r)), pods)
				}
				if err != nil {
					return fmt.Errorf("%s %s-stack x%d: %w", p.name, sc.stack, sc.parallel, err)
				}
				byRound[key{p.name, sc, "ADD"}] = append(byRound[key{p.name, sc, "ADD"}], add)
				byRound[key{p.name, sc, "DEL"}] = append(byRound[key{p.name, sc, "DEL"}], del)
				cpu[key{p.name, sc, "ADD"}] += used[0]
				cpu[key{p.name, sc, "DEL"}] += used[1]
			}
		}
	}

	// Each figure once: over every round's calls, and over each round's alone (the goals'
	// spread).
	overall := map[key][3]time.Duration{}
	perRound := map[key][][3]time.Duration{}
	for k, rs := range byRound {
		overall[k] = percentiles(slices.Concat(rs...))
		for _, r := range rs {
			perRound[k] = append(perRound[k], percentiles(r))
		}
	}

	fmt.Printf("\n%d pods x %d rounds per scenario, state under %s; latency of one libcni call (ms); load average %s at start, %s at end\n\n",
		pods, rounds, dir, startLoad, loadAverage())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stack\tcalls\tverb\tdualnet p50\tp90\tp99\tupstream p50\tp90\tp99\tratio p50\tp90\tp99\tfloor p50\tratio above floor p50\t")
	for _, sc := range scenarios {
		for _, verb := range []string{"ADD", "DEL"} {
			d := overall[key{"dualnet", sc, verb}]
			u := overall[key{"upstream", sc, verb}]
			f := overall[key{"floor", sc, verb}]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%s\t%s\t\n", sc.stack, sc.mode(), verb,
				ms(d[0]), ms(d[1]), ms(d[2]), ms(u[0]), ms(u[1]), ms(u[2]),
				ratio(d[0], u[0]), ratio(d[1], u[1]), ratio(d[2], u[2]), ms(f[0]), aboveFloor(d[0], u[0], f[0]))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Printf("\nfloors (ms): the no-op plugin and the veth-only plugin through libcni, and a veth pair created and deleted through netlink,\n" +
		"bare, and configured as a plugin leaves it before the deletion (on a bridge, up, the pod end with addresses and routes)\n\n")
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stack\tcalls\tverb\tno-op plugin p50\tp99\tveth-only plugin p50\tp99\tbare veth p50\tp99\tconfigured veth p50\tp99\t")
	for _, sc := range scenarios {
		for _, verb := range []string{"ADD", "DEL"} {
			f := overall[key{"floor", sc, verb}]
			o := overall[key{"vethonly", sc, verb}]
			v := overall[key{"veth", sc, verb}]
			c := [2]string{"-", "-"} // its creation is the bare pair's; the configuring is not timed
			if verb == "DEL" {
				d := overall[key{"vethconf", sc, verb}]
				c = [2]string{ms(d[0]), ms(d[2])}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", sc.stack, sc.mode(), verb, ms(f[0]), ms(f[2]), ms(o[0]), ms(o[2]), ms(v[0]), ms(v[2]), c[0], c[1])
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Printf("\nCPU time per call (ms, user + system of the plugin's processes): on 2 cores, 20 calls in flight wait mostly for CPU\n\n")
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stack\tcalls\tverb\tdualnet\tupstream\tno-op plugin\tveth-only plugin\tratio\t")
	perCall := func(k key) time.Duration { return cpu[k] / time.Duration(max(pods*rounds, 1)) }
	for _, sc := range scenarios {
		for _, verb := range []string{"ADD", "DEL"} {
			d, u, f, o := perCall(key{"dualnet", sc, verb}), perCall(key{"upstream", sc, verb}), perCall(key{"floor", sc, verb}), perCall(key{"vethonly", sc, verb})
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t\n", sc.stack, sc.mode(), verb, msFine(d), msFine(u), msFine(f), msFine(o), ratio(d, u))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Printf("\ngoals, dual-stack: measured over all rounds, and the lowest and highest of the rounds measured one by one\n\n")
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "calls\tgoal\tmeasured\trounds\t\t")
	for _, sc := range scenarios {
		if sc.stack != "dual" {
			continue
		}
		add := overall[key{"dualnet", sc, "ADD"}]
		upAdd := overall[key{"upstream", sc, "ADD"}]
		del := overall[key{"dualnet", sc, "DEL"}]
		vethDel := overall[key{"veth", sc, "DEL"}]
		p50, p99 := ratio(add[0], upAdd[0]), ratio(add[2], upAdd[2])
		bound := vethDel[0] + goalDelAbove
		// Each round's figure, from that round's calls alone: how much the run's own
		// figure could have moved with fewer rounds.
		round := func(plugin, verb string, r, p int) time.Duration { return perRound[key{plugin, sc, verb}][r][p] }
		addRatio := func(p int) string {
			return spread(rounds, func(r int) float64 { return ratio(round("dualnet", "ADD", r, p), round("upstream", "ADD", r, p)) }, "%.2f")
		}
		delAbove := func(floor string, plus time.Duration) string { // ms above floor's p50 plus plus
			return spread(rounds, func(r int) float64 {
				return float64(round("dualnet", "DEL", r, 0)-round(floor, "DEL", r, 0)-plus) / 1e6
			}, "%+.1f")
		}
		// Each row goes to the table here and to make bench's summary (goals.Record).
		row := func(goal, measured, rounds, verdict string) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", sc.mode(), goal, measured, rounds, verdict)
			goals.Record("cni", "dual-stack "+sc.mode()+" "+goal, measured+" (rounds "+rounds+")", verdict)
		}
		row(fmt.Sprintf("ADD p50 <= %.2f of upstream", goalAddP50), fmt.Sprintf("%.3f", p50), addRatio(0), goals.Verdict(p50 <= goalAddP50))
		row(fmt.Sprintf("ADD p99 <= %.2f of upstream", goalAddP99), fmt.Sprintf("%.3f", p99), addRatio(2), goals.Verdict(p99 <= goalAddP99))
		row(fmt.Sprintf("DEL p50 <= bare veth deletion + %s = %s ms", goalDelAbove, ms(bound)), ms(del[0])+" ms",
			delAbove("veth", goalDelAbove)+" ms above it", goals.Verdict(del[0] <= bound))
		// Not a goal: how far DEL is above the least a plugin that deletes a veth takes.
		only := overall[key{"vethonly", sc, "DEL"}]
		row(fmt.Sprintf("(DEL p50 above the veth-only plugin's %s ms)", ms(only[0])), fmt.Sprintf("%+.1f ms", float64(del[0]-only[0])/1e6),
			delAbove("vethonly", 0)+" ms", goals.NoGoal)
	}
	return tw.Flush()
}

func (sc scenario) mode() string {
	if sc.parallel > 1 {
		return fmt.Sprintf("%d-way", sc.parallel)
	}
	return "sequential"
}

// spread is the lowest and highest of f over the rounds, each printed with format.
func spread(rounds int, f func(r int) float64, format string) string {
	lo := f(0)
	hi := lo
	for r := 1; r < rounds; r++ {
		v := f(r)
		lo, hi = min(lo, v), max(hi, v)
	}
	return fmt.Sprintf(format+" to "+format, lo, hi)
}

// measure adds pods to fresh namespaces, then deletes them, with sc.parallel calls in flight,
// and returns the latency of every call and the CPU time the plugin's processes took for
// all of them (user and system, from the rusage of waited-for children: a plugin's own
// children, such as the IPAM plugin bridge runs, count as its own).
func measure(p plugin, sc scenario, bin, dir string, pods int) (add, del []time.Duration, cpu [2]time.Duration, err error) {
	drv, err := cnitest.NewDriver(bin, filepath.Join(dir, "cache"), p.conflist(sc.stack, dir))
	if err != nil {
		return nil, nil, cpu, err
	}
	sandboxes, err := newSandboxes(pods)
	defer deleteSandboxes(sandboxes)
	if err != nil {
		return nil, nil, cpu, err
	}
	ctx := context.Background()
	rts := make([]*libcni.RuntimeConf, pods)
	for i := range rts {
		rts[i] = cnitest.Runtime(fmt.Sprintf("bench-%d", i), sandboxes[i].Path, "eth0")
	}
	before := childCPU()
	add, err = timeEach(pods, sc.parallel, "ADD pod", func(i int) error {
		_, err := drv.Add(ctx, rts[i])
		return err
	})
	if err != nil {
		return nil, nil, cpu, err
	}
	afterAdd := childCPU()
	del, err = timeEach(pods, sc.parallel, "DEL pod", func(i int) error { return drv.Del(ctx, rts[i]) })
	if err != nil {
		return nil, nil, cpu, err
	}
	return add, del, [2]time.Duration{afterAdd - before, childCPU() - afterAdd}, nil
}

// childCPU is the user and system time of every child process this one has waited for.
func childCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timeEach runs op(0) to op(n-1), parallel at a time, and returns how long each took; the
// first error is returned as "what i: error".
func timeEach(n, parallel int, what string, op func(i int) error) ([]time.Duration, error) {
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for i := range next {
				start := time.Now()
				errs[i] = op(i)
				lat[i] = time.Since(start)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s %d: %w", what, i, err)
		}
	}
	return lat, nil
}

func dualnetConf(stack, dataDir string) []byte {
	cidrs := []string{"10.244.1.0/24"}
	if stack == "dual" {
		cidrs = append(cidrs, "fd12:3456:789a:0:1::/80")
	}
	return conflist("dualnet", dualnetPlugin("cbr0", cidrs, dataDir))
}

// dualnetPlugin is dualnet-cni's entry of a network config.
func dualnetPlugin(bridge string, podCIDRs []string, dataDir string) map[string]any {
	return map[string]any{"type": "dualnet", "bridge": bridge, "podCIDRs": podCIDRs, "mtu": 1500, "hairpinMode": true, "dataDir": dataDir}
}

// upstreamConf is the reference a kubenet-style node would use: bridge with the gateways on
// it, hairpin, host-local with one range per family and default routes.
func upstreamConf(stack, dataDir string) []byte {
	ranges := []any{[]any{map[string]any{"subnet": "10.245.1.0/24"}}}
	routes := []any{map[string]any{"dst": "0.0.0.0/0"}}
	if stack == "dual" {
		ranges = append(ranges, []any{map[string]any{"subnet": "fd12:3456:789b:0:1::/80"}})
		routes = append(routes, map[string]any{"dst": "::/0"})
	}
	return conflist("upstream", map[string]any{
		"type": "bridge", "bridge": "cbr1", "isGateway": true, "hairpinMode": true, "mtu": 1500,
		"ipam": map[string]any{"type": "host-local", "ranges": ranges, "routes": routes, "dataDir": dataDir},
	})
}

// vethOnlyConf runs the plugin that only creates and deletes the veth pair.
func vethOnlyConf(string, string) []byte {
	return conflist("vethonly", map[string]any{"type": "vethonly"})
}

// floorConf runs the plugin that does no work.
func floorConf(string, string) []byte {
	return conflist("floor", map[string]any{"type": "floor"})
}

func conflist(name string, plugin map[string]any) []byte {
	data, _ := json.Marshal(map[string]any{"cniVersion": "1.1.0", "name": name, "plugins": []any{plugin}})
	return data
}

// newSandboxes makes n fresh pod namespaces. On an error it returns those it made, for
// deleteSandboxes.
func newSandboxes(n int) ([]*cnitest.PodNS, error) {
	var sandboxes []*cnitest.PodNS
	for range n {
		s, err := cnitest.NewPodNS("bench")
		if err != nil {
			return sandboxes, err
		}
		sandboxes = append(sandboxes, s)
	}
	return sandboxes, nil
}

func deleteSandboxes(sandboxes []*cnitest.PodNS) {
	for _, s := range sandboxes {
		_ = s.Delete()
	}
}

// percentiles returns p50, p90 and p99 (nearest rank).
func percentiles(d []time.Duration) [3]time.Duration {
	if len(d) == 0 {
		return [3]time.Duration{}
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	var out [3]time.Duration
	for i, p := range []float64{0.50, 0.90, 0.99} {
		idx := int(p*float64(len(s))+0.999999) - 1
		if idx < 0 {
			idx = 0
		}
		out[i] = s[idx]
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

func msFine(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

// aboveFloor is the ratio of the time two plugins spend above the floor, "n/a" when the
// reference does not rise above it.
func aboveFloor(a, b, floor time.Duration) string {
	if b <= floor {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", ratio(max(a-floor, 0), b-floor))
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// loadAverage is the 1-minute load average: on a shared machine it says how much the
// figures are worth.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}
