package lab

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/dualnet/dualnet/internal/lab/loadbalancer"
	"github.com/dualnet/dualnet/internal/netns"
)

// Status prints what the lab's state records and whether each piece is still there.
func Status(ctx context.Context, dir string, out io.Writer) error {
	st, err := LoadState(dir)
	if err != nil {
		return fmt.Errorf("no lab in %s (%v): run `dualnet lab up`", dir, err)
	}
	ready := "starting"
	if st.Ready {
		ready = "ready"
	}
	fmt.Fprintf(out, "lab %q: %s (state in %s)\n", st.Name, ready, st.Dir)
	if url := st.Endpoints["apiserver"]; url != "" {
		fmt.Fprintf(out, "kube-apiserver: %s\nkubeconfig:     %s\n", url, st.Endpoints["kubeconfig"])
	}
	fmt.Fprintln(out, "namespaces:")
	for _, ns := range st.Namespaces {
		state := "present"
		if _, err := os.Stat(netns.Path(ns)); err != nil {
			state = "MISSING"
		}
		fmt.Fprintf(out, "  %-28s %s\n", ns, state)
	}
	fmt.Fprintln(out, "processes:")
	for _, p := range st.Processes {
		state := "running"
		if !p.alive() {
			state = "NOT RUNNING"
		}
		fmt.Fprintf(out, "  %-40s pid %-8d %-12s %s\n", p.Name, p.PID, state, p.Log)
	}
	if report, err := loadbalancer.ReadReport(loadBalancerReport(st.Dir)); err == nil {
		report.Print(out)
	}
	if path := st.Endpoints["kubeconfig"]; path != "" {
		return nodeStatus(ctx, path, out)
	}
	return nil
}

func nodeStatus(ctx context.Context, kubeconfig string, out io.Writer) error {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	rc.Timeout = 5 * time.Second
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		fmt.Fprintf(out, "nodes: the API server does not answer: %v\n", err)
		return nil
	}
	fmt.Fprintln(out, "nodes:")
	for _, n := range nodes.Items {
		var addrs []string
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				addrs = append(addrs, a.Address)
			}
		}
		fmt.Fprintf(out, "  %-28s Ready=%-7s NetworkUnavailable=%-7s %-40s %s\n", n.Name,
			conditionStatus(n.Status.Conditions, corev1.NodeReady), conditionStatus(n.Status.Conditions, corev1.NodeNetworkUnavailable),
			strings.Join(addrs, ","), strings.Join(n.Spec.PodCIDRs, ","))
	}
	return nil
}

func conditionStatus(conds []corev1.NodeCondition, t corev1.NodeConditionType) string {
	for _, c := range conds {
		if c.Type == t {
			return string(c.Status)
		}
	}
	return "-"
}
