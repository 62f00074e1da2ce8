package lab

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// waitNodesReady polls until every node is registered, Ready, has a pod CIDR of each family
// and NetworkUnavailable=False (its routes are in the route table), printing each change, and
// its agent and kube-proxy have done their first work.
func waitNodesReady(ctx context.Context, cfg *rest.Config, lab Config, progress *progressLog, kids *children, st *State) error {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	last, waiting := "", ""
	for {
		nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err == nil {
			summary, done := nodesSummary(nodes.Items, lab)
			if summary != last {
				progress.printf("  nodes: %s", summary)
				last = summary
			}
			switch {
			case !done:
				waiting = "" // a node stopped being ready: the timeout must blame the nodes
			case !controllersRun(ctx, client):
				waiting = "kube-controller-manager's controllers"
			case !agentsReady(lab, st):
				waiting = "the agents' CNI configs"
			case !kubeProxiesSynced(ctx, lab):
				waiting = "every kube-proxy's first sync of the service rules (" + kubeProxyHealthz + " in each node)"
			default:
				return nil
			}
		}
		if err := kids.crashLoop(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			if waiting != "" {
				return fmt.Errorf("the nodes are ready (%s) but the lab still waits for %s; see the logs in %s/logs", last, waiting, lab.Dir())
			}
			return fmt.Errorf("the nodes did not become ready (last: %s); see the logs in %s/logs", last, lab.Dir())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func nodesSummary(nodes []corev1.Node, lab Config) (string, bool) {
	var registered, ready, cidrs, routed int
	for _, n := range nodes {
		registered++
		if conditionIs(n.Status.Conditions, corev1.NodeReady, corev1.ConditionTrue) {
			ready++
		}
		if len(n.Spec.PodCIDRs) == len(lab.Spec.Families) {
			cidrs++
		}
		if conditionIs(n.Status.Conditions, corev1.NodeNetworkUnavailable, corev1.ConditionFalse) {
			routed++
		}
	}
	parts := []string{
		fmt.Sprintf("%d/%d registered", registered, lab.Nodes),
		fmt.Sprintf("%d Ready", ready),
		fmt.Sprintf("%d with pod CIDRs", cidrs),
		fmt.Sprintf("%d with routes (NetworkUnavailable=False)", routed),
	}
	n := lab.Nodes
	if !lab.Routes.routeTable() {
		parts = parts[:3]
		routed = n
	}
	return strings.Join(parts, ", "), registered == n && ready == n && cidrs == n && routed == n
}

func conditionIs(conds []corev1.NodeCondition, t corev1.NodeConditionType, s corev1.ConditionStatus) bool {
	for _, c := range conds {
		if c.Type == t {
			return c.Status == s
		}
	}
	return false
}

// waitPodCIDRs polls until the node is registered and has its pod CIDRs.
func waitPodCIDRs(ctx context.Context, cfg *rest.Config, name string, kids *children) error {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		node, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err == nil && len(node.Spec.PodCIDRs) > 0 {
			return nil
		}
		if err := kids.crashLoop(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s did not register and get its pod CIDRs within a minute (last error: %v); see the logs of kubelet-%s, containerd-%s and dualnet-controller", name, err, name, name)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// controllersRun says whether kube-controller-manager has started its controllers: the
// "default" ServiceAccount of namespace default is created by one of the last to start, and a
// Deployment's pods need it. Until then a user's first `kubectl create deployment` would wait
// for the controller manager, not for dualnet.
func controllersRun(ctx context.Context, client kubernetes.Interface) bool {
	_, err := client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
	return err == nil
}

// waitFile polls until a component has written its ready file.
func waitFile(ctx context.Context, path, component string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not write %s within 30s; see its log", component, path)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// agentsReady says whether every node's agent has written the CNI config, which it does once
// the node's bridge, sysctls and NAT are in place: before that no pod can start there.
func agentsReady(lab Config, st *State) bool {
	for i := 0; i < lab.Nodes; i++ {
		dir := dirsOf(st, lab.Names().Node(i)).conf
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) == 0 {
			return false
		}
	}
	return true
}

// waitDeploymentAvailable polls until every replica of a Deployment is ready.
func waitDeploymentAvailable(ctx context.Context, cfg *rest.Config, namespace, name string, kids *children) error {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	last := "not created"
	for {
		d, err := client.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			if d.Status.ReadyReplicas == want && d.Status.UpdatedReplicas == want {
				return nil
			}
			last = fmt.Sprintf("%d/%d ready", d.Status.ReadyReplicas, want)
		}
		if err := kids.crashLoop(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("deployment %s/%s not ready within 2 minutes (%s): kubectl -n %s describe pods", namespace, name, last, namespace)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
