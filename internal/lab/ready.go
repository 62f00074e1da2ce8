package lab

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// waitNodesReady polls until every node is registered, Ready, has a pod CIDR of each family
// and NetworkUnavailable=False (its routes are in the route table), printing each change, and
// its agent and kube-proxy have done their first work.
func waitNodesReady(ctx context.Context, client kubernetes.Interface, lab Config, progress *progressLog, kids *children, st *State) error {
	last, waiting := "", ""
	return pollUntil(ctx, 2*time.Minute, 250*time.Millisecond, kids, func(ctx context.Context) bool {
		nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
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
			return true
		}
		return false
	}, func() error {
		if waiting != "" {
			return fmt.Errorf("the nodes are ready (%s) but the lab still waits for %s; see the lab's logs", last, waiting)
		}
		return fmt.Errorf("the nodes did not become ready (last: %s); see the lab's logs", last)
	})
}

// pollUntil calls done every interval until it says so, and fails with timeout() once within
// has passed, or at once when one of the lab's processes or pods crash-loops (kids).
func pollUntil(ctx context.Context, within, interval time.Duration, kids *children, done func(context.Context) bool, timeout func() error) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		if done(ctx) {
			return nil
		}
		if kids != nil {
			if err := kids.crashLoop(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return timeout()
		case <-time.After(interval):
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
	if !lab.Routes.RouteTable() {
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

// waitPodCIDRs polls until the node is registered and has its pod CIDRs. When it times out
// on a node that registered, it says how the pods that would give it its CIDRs stand
// (nodePods).
func waitPodCIDRs(ctx context.Context, client kubernetes.Interface, name string, kids *children) error {
	var lastErr error
	registered := false
	return pollUntil(ctx, time.Minute, 50*time.Millisecond, kids, func(ctx context.Context) bool {
		node, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		lastErr = err
		registered = registered || err == nil
		return err == nil && len(node.Spec.PodCIDRs) > 0
	}, func() error {
		what := fmt.Sprintf("node %s did not register within a minute (last error: %v)", name, lastErr)
		if registered {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			what = fmt.Sprintf("node %s registered but got no pod CIDRs within a minute (%s)", name, nodePods(ctx, client, name))
		}
		return fmt.Errorf("%s; see the logs of kubelet-%s, containerd-%s and dualnet-controller", what, name, name)
	})
}

// nodePods says how the kube-system pods on node stand and who leads dualnet-controller: what
// a node without pod CIDRs waits for. The controller runs on the first node, and reaches the
// API server through the kubernetes Service, which kube-proxy's rules there carry.
func nodePods(ctx context.Context, client kubernetes.Interface, node string) string {
	pods, err := client.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "its pods: " + err.Error()
	}
	var parts []string
	for _, p := range pods.Items {
		if p.Spec.NodeName == node {
			parts = append(parts, p.Name+" "+podState(p))
		}
	}
	slices.Sort(parts) // by pod name, as kubectl lists them
	if len(parts) == 0 {
		parts = append(parts, "no pod of kube-system on it")
	}
	return strings.Join(append(parts, "dualnet-controller's leader "+controllerLeader(ctx, client)), ", ")
}

// podState is what kubectl get pods shows as a pod's status: a container's waiting or
// terminated reason (ContainerCreating, ErrImagePull, CrashLoopBackOff), else the pod's
// phase, Running pods with their readiness.
func podState(p corev1.Pod) string {
	for _, c := range p.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil && w.Reason != "" {
			return w.Reason
		}
		if t := c.State.Terminated; t != nil && t.Reason != "" {
			return t.Reason
		}
	}
	if p.Status.Phase == corev1.PodRunning && !podConditionTrue(p, corev1.PodReady) {
		return "Running, not ready"
	}
	if p.Status.Phase == "" {
		return "Pending"
	}
	return string(p.Status.Phase)
}

func podConditionTrue(p corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
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
	return pollUntil(ctx, 30*time.Second, 50*time.Millisecond, nil, func(context.Context) bool {
		_, err := os.Stat(path)
		return err == nil
	}, func() error {
		return fmt.Errorf("%s did not write %s within 30s; see its log", component, path)
	})
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
func waitDeploymentAvailable(ctx context.Context, client kubernetes.Interface, namespace, name string, kids *children) error {
	last := "not created"
	return pollUntil(ctx, 2*time.Minute, 250*time.Millisecond, kids, func(ctx context.Context) bool {
		d, err := client.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		last = fmt.Sprintf("%d/%d ready", d.Status.ReadyReplicas, want)
		return d.Status.ReadyReplicas == want && d.Status.UpdatedReplicas == want
	}, func() error {
		return fmt.Errorf("deployment %s/%s not ready within 2 minutes (%s): kubectl -n %s describe pods", namespace, name, last, namespace)
	})
}
