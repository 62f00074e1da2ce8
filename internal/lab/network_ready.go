package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// waitNetworkPods polls until the pod network's workloads are all ready, printing each
// change: the DaemonSets dualnet-agent and kube-proxy on every node, the Deployment
// dualnet-controller with a ready replica per node up to its count, and a leader holding the
// Lease kube-system/dualnet-controller.
func waitNetworkPods(ctx context.Context, client kubernetes.Interface, lab Config, progress *progressLog, kids *children) error {
	last := ""
	return pollUntil(ctx, 2*time.Minute, 250*time.Millisecond, kids, func(ctx context.Context) bool {
		summary, done := networkPodsSummary(ctx, client, lab.Nodes)
		if summary != last {
			progress.printf("  pod network: %s", summary)
			last = summary
		}
		return done
	}, func() error {
		return fmt.Errorf("the pod network's pods are not ready (%s): kubectl -n kube-system get ds,deploy,pods", last)
	})
}

func networkPodsSummary(ctx context.Context, client kubernetes.Interface, nodes int) (string, bool) {
	var parts []string
	done := true
	for _, name := range []string{"dualnet-agent", "kube-proxy"} {
		ready := 0
		ds, err := client.AppsV1().DaemonSets(metav1.NamespaceSystem).Get(ctx, name, metav1.GetOptions{})
		if err == nil && ds.Status.UpdatedNumberScheduled == ds.Status.DesiredNumberScheduled {
			ready = int(ds.Status.NumberReady)
		}
		parts = append(parts, fmt.Sprintf("%s %d/%d", name, ready, nodes))
		done = done && ready == nodes
	}
	ready, want := 0, 0
	d, err := client.AppsV1().Deployments(metav1.NamespaceSystem).Get(ctx, "dualnet-controller", metav1.GetOptions{})
	if err == nil {
		want = 1
		if d.Spec.Replicas != nil {
			want = int(*d.Spec.Replicas)
		}
		// Replicas never share a node: with fewer nodes, the others stay Pending.
		want = min(want, nodes)
		ready = int(d.Status.ReadyReplicas)
	}
	parts = append(parts, fmt.Sprintf("dualnet-controller %d/%d", ready, want))
	done = done && want > 0 && ready >= want
	leader := controllerLeader(ctx, client)
	parts = append(parts, "leader "+leader)
	done = done && leader != "none"
	return strings.Join(parts, ", "), done
}

// controllerLeader is the holder of the Lease kube-system/dualnet-controller, or "none".
func controllerLeader(ctx context.Context, client kubernetes.Interface) string {
	lease, err := client.CoordinationV1().Leases(metav1.NamespaceSystem).Get(ctx, "dualnet-controller", metav1.GetOptions{})
	if err == nil && lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != "" {
		return *lease.Spec.HolderIdentity
	}
	return "none"
}

// podWatch finds a container of kube-system that keeps crashing (dualnet's, kube-proxy's,
// CoreDNS's), so that `lab up` fails with its log instead of waiting out its timeout, as it
// does for the supervisor's own processes. It asks the API server at most every 2 seconds.
type podWatch struct {
	client kubernetes.Interface
	st     *State // where the nodes' pod logs are
	mu     sync.Mutex
	last   time.Time
}

// crashLoopRestarts is how many restarts of a container make it a crash loop, as for the
// supervisor's processes.
const crashLoopRestarts = 3

func (w *podWatch) crashLoop() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if time.Since(w.last) < 2*time.Second {
		return nil
	}
	w.last = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pods, err := w.client.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil // the API server's trouble shows in the waits' own errors
	}
	for _, p := range pods.Items {
		for _, c := range p.Status.ContainerStatuses {
			if c.RestartCount < crashLoopRestarts {
				continue
			}
			return fmt.Errorf("container %s of pod kube-system/%s on node %s restarted %d times; the end of its last log (kubectl -n kube-system logs -p %s):\n%s",
				c.Name, p.Name, p.Spec.NodeName, c.RestartCount, p.Name, w.previousLog(ctx, p, c.Name))
		}
	}
	return nil
}

// previousLog is the end of the log of the container's last run, or, when the kubelet has
// removed that one already, of the run it has now (which fails the same way).
func (w *podWatch) previousLog(ctx context.Context, p corev1.Pod, container string) string {
	// The node's own files first: the kubelet may have removed the previous run's by the
	// time the API is asked, and then answers with its error as the log.
	if log, err := w.fileLog(p, container); err == nil {
		return log
	}
	lines := int64(15)
	var errs []string
	for _, previous := range []bool{true, false} {
		data, err := w.client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: container, Previous: previous, TailLines: &lines}).DoRaw(ctx)
		if err == nil && len(data) > 0 {
			return strings.TrimRight(string(data), "\n")
		}
		errs = append(errs, fmt.Sprint(err))
	}
	return "(no log: " + strings.Join(errs, "; ") + ")"
}

// fileLog is the end of the container's latest run that wrote anything, read from the
// node's /var/log/pods (<namespace>_<pod>_<uid>/<container>/<restart>.log, CRI log lines:
// time, stream, tag, text), without the CRI prefix.
func (w *podWatch) fileLog(p corev1.Pod, container string) (string, error) {
	if w.st == nil || p.Spec.NodeName == "" {
		return "", errors.New("no node to read from")
	}
	dir := filepath.Join(nodeMachineOf(w.st, p.Spec.NodeName).path("/var/log/pods"),
		fmt.Sprintf("%s_%s_%s", p.Namespace, p.Name, p.UID), container)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	runs := map[int]string{}
	var order []int
	for _, e := range entries {
		n, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".log"))
		if err != nil || !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		runs[n] = filepath.Join(dir, e.Name())
		order = append(order, n)
	}
	slices.Sort(order)
	for i := len(order) - 1; i >= 0; i-- {
		data, err := os.ReadFile(runs[order[i]])
		if err != nil || len(data) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		lines = lines[max(0, len(lines)-15):]
		for j, l := range lines {
			if f := strings.SplitN(l, " ", 4); len(f) == 4 {
				lines[j] = f[3]
			}
		}
		return strings.Join(lines, "\n"), nil
	}
	return "", fmt.Errorf("no run of %s wrote a log in %s", container, dir)
}
