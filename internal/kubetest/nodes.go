package kubetest

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// Node is a Node object as a kubelet registers it and node IPAM fills it in: spec.podCIDRs
// (spec.podCIDR the first of them), and an InternalIP for each address, in order.
func Node(name string, podCIDRs []string, internalIPs ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if len(podCIDRs) > 0 {
		n.Spec.PodCIDR, n.Spec.PodCIDRs = podCIDRs[0], podCIDRs
	}
	for _, ip := range internalIPs {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip})
	}
	return n
}

// CreateNode creates node with its status: the API server drops the status of a created
// object, so its addresses are written after, as a kubelet posts them after registering.
func CreateNode(ctx context.Context, client kubernetes.Interface, node *corev1.Node) (*corev1.Node, error) {
	created, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create node %s: %w", node.Name, err)
	}
	if len(node.Status.Addresses) == 0 || len(created.Status.Addresses) > 0 {
		return created, nil
	}
	created.Status.Addresses = node.Status.Addresses
	if created, err = client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("set addresses of node %s: %w", node.Name, err)
	}
	return created, nil
}

// CreateNodes creates nodes, 16 at a time as a scale-up would, and deletes them all when the
// test ends, so that the next test on the shared API server starts without them.
func CreateNodes(t testing.TB, client kubernetes.Interface, nodes []*corev1.Node) {
	t.Helper()
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	t.Cleanup(func() { DeleteNodes(t, client, names) })
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(16)
	for _, n := range nodes {
		g.Go(func() error {
			_, err := CreateNode(ctx, client, n)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("create nodes: %v", err)
	}
}

// DeleteNodes deletes nodes, 16 at a time; ones already gone are fine.
func DeleteNodes(t testing.TB, client kubernetes.Interface, names []string) {
	t.Helper()
	var g errgroup.Group
	g.SetLimit(16)
	for _, name := range names {
		g.Go(func() error {
			err := client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Errorf("delete nodes: %v", err)
	}
}

// FastClient talks to the test API server without client-side throttling getting in the way
// of hundreds of node writes.
func FastClient(t testing.TB) kubernetes.Interface {
	t.Helper()
	cfg := Config()
	cfg.QPS, cfg.Burst = 2000, 4000
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	return c
}

// Recorder posts events to the test API server, as a controller's recorder does, until ctx
// ends; `kubectl get events` (or a List of events) then shows them.
func Recorder(ctx context.Context, client kubernetes.Interface) record.EventRecorder {
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	return broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "dualnet-controller-test"})
}
