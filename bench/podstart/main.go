// Command podstart measures pod start and stop on a lab node with dualnet as the node's CNI
// against the upstream chain an AKS kubenet node runs (bridge + host-local + portmap +
// bandwidth, containernetworking/plugins v1.10.0, built from the module in go.mod), with the
// same kubelet and containerd, the two alternating round by round:
//   - the wall time from `kubectl scale --replicas=N` (0 -> N) until all N pods are Ready, and
//     from N -> 0 until all are gone;
//   - per pod, from the moment its Pod object appears until it is seen Ready (p50, p99);
//   - containerd's own network setup and teardown time per pod, from its CRI metrics
//     (network_plugin_operations_duration_seconds, set_up_pod / tear_down_pod), the part of a
//     pod's start that the CNI plugin owns.
//   - CPU per pod, each way: the whole machine's, and that of the processes the node's
//     containerd ran and waited for, with what they waited for in turn. Those are the
//     chain's CNI calls (ADD; DEL; and for a conflist of CNI 1.1.0, as dualnet's is, the
//     STATUS call containerd makes of each plugin whenever the kubelet asks for the
//     runtime's status, every 5 s), and the shim binary's own commands, the same for both
//     chains (start, once per pod; delete, after each of a pod's two tasks). A stopped
//     pod's figure includes removing its sandbox, which the benchmark does at once (crictl
//     rmp) where the kubelet's garbage collection would a minute later, in another round:
//     containerd runs the chain's DEL again when it removes a sandbox. On 2 cores running a
//     whole cluster the wall times move by tens of percent with the rounds before; the CPU
//     a chain costs the node moves far less.
//
// The upstream conflist (05-kubenet-upstream.conflist) sorts before dualnet's, so containerd
// uses it while it is there; it uses the node's bridge cbr0 and addresses from the top half
// of the node's pod CIDRs, and each pod's addresses are checked to be reserved by the
// plugin measured (host-local's files, dualnet's address store). Everything it adds to the
// node is removed at the end.
//
//	bench/podstart/run.sh          (brings up a lab "podstart" unless one runs; -pods, -rounds)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "the lab's kubeconfig (dualnet lab kubeconfig)")
	labDir := flag.String("lab-dir", "", "the lab's state directory (/run/dualnet-lab/<name>)")
	node := flag.String("node", "", "the node to start pods on (default: the lab's last node)")
	pods := flag.Int("pods", 30, "replicas to scale to and back from")
	rounds := flag.Int("rounds", 3, "rounds; each runs both plugins, in alternating order")
	flag.Parse()
	if err := run(*kubeconfig, *labDir, *node, *pods, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench/podstart:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, labDir, node string, pods, rounds int) error {
	switch {
	case kubeconfig == "":
		return fmt.Errorf("-kubeconfig is required: the lab's, from `dualnet lab kubeconfig`")
	case labDir == "":
		return fmt.Errorf("-lab-dir is required: the lab's state directory, /run/dualnet-lab/<name>")
	case pods < 1 || rounds < 1:
		return fmt.Errorf("-pods and -rounds must be at least 1")
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 100, 200
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if node == "" {
		if node, err = lastNode(ctx, client); err != nil {
			return err
		}
	}
	n, err := openNode(ctx, client, labDir, node)
	if err != nil {
		return err
	}
	upstream, err := n.installUpstream()
	defer func() {
		if err := n.removeUpstream(); err != nil {
			fmt.Fprintln(os.Stderr, "bench/podstart: clean-up:", err)
		}
	}()
	if err != nil {
		return err
	}
	d := newDeployment(client, node)
	defer d.remove()
	if err := d.create(ctx); err != nil {
		return err
	}

	plugins := []plugin{{"dualnet", n.useDualnet, n.dualnetReserved}, {"upstream", upstream.use, upstream.reserved}}
	results := map[string][]round{}
	startLoad := loadAverage()
	fmt.Printf("%d pods on %s, %d rounds, plugins alternating\n", pods, node, rounds)
	for r := 0; r < rounds; r++ {
		order := slices.Clone(plugins)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, p := range order {
			res, err := measureRound(ctx, n, d, p, pods)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", r+1, p.name, err)
			}
			fmt.Printf("  round %d %-8s up %6.2fs  down %6.2fs  setup %5.1f ms/pod  CPU/pod up: machine %3.0f ms, containerd's children %4.1f ms\n",
				r+1, p.name, res.up.Seconds(), res.down.Seconds(), ms(res.setUp), ms(res.cpuUp.machine), ms(res.cpuUp.containerdChildren))
			results[p.name] = append(results[p.name], res)
		}
	}
	printTable(os.Stdout, pods, rounds, node, results, startLoad, loadAverage())
	return nil
}

// loadAverage is the machine's 1-minute load average, printed beside the figures.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil || len(data) < 4 {
		return "?"
	}
	var one string
	fmt.Sscan(string(data), &one)
	return one
}

// nodeRoot is where a lab node's own paths (/etc/cni/net.d, /opt/cni/bin, /var/lib/cni)
// are on the machine.
func nodeRoot(labDir, node string) string { return filepath.Join(labDir, "nodes", node, "root") }
