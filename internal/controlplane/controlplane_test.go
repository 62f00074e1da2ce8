package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// TestFullControlPlaneRunsDeploymentsAndStopRemovesEverything starts all four components,
// as the lab does: a Deployment becomes a Pod only if kube-controller-manager works, and the
// Pod is marked unschedulable (there are no nodes) only if kube-scheduler works.
func TestFullControlPlaneRunsDeploymentsAndStopRemovesEverything(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	cp, err := Start(ctx, Options{ControllerManager: true, Scheduler: true})
	if err != nil {
		t.Fatalf("start control plane: %v", err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	t.Logf("etcd, kube-apiserver, kube-controller-manager and kube-scheduler ready in %s", time.Since(start).Round(time.Millisecond))

	client, err := kubernetes.NewForConfig(cp.RestConfig())
	if err != nil {
		t.Fatal(err)
	}
	ns := fmt.Sprintf("dn-cp-%d", os.Getpid())
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	labels := map[string]string{"app": "web"}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "registry.invalid/web"}}},
			},
		},
	}
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, deploy, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}

	// The pod needs the namespace's default ServiceAccount (controller-manager), then a
	// ReplicaSet and a Pod (controller-manager), then a PodScheduled condition (scheduler).
	var last string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		switch {
		case err != nil:
			last = err.Error()
		case len(pods.Items) == 0:
			last = "no pod yet"
		default:
			last = fmt.Sprintf("pod %s conditions %v", pods.Items[0].Name, pods.Items[0].Status.Conditions)
			return unschedulable(pods.Items[0]), nil
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("deployment did not become an unschedulable pod within a minute: %s", last)
	}

	dir := cp.Dir()
	pids := cp.pids()
	if err := cp.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for name, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) still exists after Stop (kill -0: %v)", name, pid, err)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control plane directory %s still exists after Stop (%v)", dir, err)
	}
}

func unschedulable(pod corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return true
		}
	}
	return false
}
