package deploy

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/routes/kernel/kerneltest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
	"github.com/dualnet/dualnet/internal/testutil/syncbuf"
)

// The strongest proof that the controller's RBAC is enough: the real binary, with the
// Deployment's args, authenticated as its service account and nothing more, does all of its
// work (lease, pod CIDRs, routes, NetworkUnavailable, events) and is never refused.
// Routes go to a router namespace (--routes=kernel), so that nodes/status is exercised too;
// --config points at the ConfigMap's spec file, written where the process can read it.
func TestControllerDoesItsWorkAsItsServiceAccount(t *testing.T) {
	applyManifest(t)
	client := kubetest.Client()
	user, groups := serviceAccount("dualnet-controller")
	// Wait for the authorizer to know the bindings, or the process's first calls race them.
	for _, a := range controllerNeeds {
		if err := waitForAccess(context.Background(), "dualnet-controller", a, true); err != nil {
			t.Fatalf("dualnet-controller may not %s: %v", a, err)
		}
	}
	cfg, err := kubetest.Plane().ClientConfig(user, groups...)
	if err != nil {
		t.Fatalf("client certificate for %s: %v", user, err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "dualnet-controller.kubeconfig")
	if err := controlplane.WriteKubeconfig(kubeconfig, cfg); err != nil {
		t.Fatal(err)
	}
	router := kerneltest.Router(t, "deploy")

	routed, outside := fmt.Sprintf("dn-deploy-%d-a", os.Getpid()), fmt.Sprintf("dn-deploy-%d-b", os.Getpid())
	createNode(t, client, routed, nil, "10.240.0.11", "fd00::11")
	// Pod CIDRs outside --pod-cidrs: the controller keeps them and posts a Warning event.
	createNode(t, client, outside, []string{"192.168.77.0/24", "fd99::/80"}, "10.240.0.12", "fd00::12")

	container := controllerDeployment(t).Spec.Template.Spec.Containers[0]
	args := append(slices.Clone(container.Args), "--config="+networkSpecFile(t), "--kubeconfig="+kubeconfig, "--health-addr=127.0.0.1:0",
		"--routes=kernel", "--routes-netns="+router, "--routes-resync=2s")
	out := startProcess(t, buildCommand(t, "dualnet-controller"), args)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// Leader election: the Lease is created, then renewed (get, create, update).
	var firstRenew time.Time
	poll.Eventually(t, remaining(ctx), "the Lease kube-system/dualnet-controller is held and renewed", func() error {
		lease, err := client.CoordinationV1().Leases("kube-system").Get(ctx, "dualnet-controller", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if lease.Spec.HolderIdentity == nil || lease.Spec.RenewTime == nil {
			return fmt.Errorf("no holder yet: %+v", lease.Spec)
		}
		if firstRenew.IsZero() {
			firstRenew = lease.Spec.RenewTime.Time
		}
		if !lease.Spec.RenewTime.Time.After(firstRenew) {
			return fmt.Errorf("not renewed since %v", firstRenew)
		}
		return nil
	})
	t.Cleanup(func() {
		err := client.CoordinationV1().Leases("kube-system").Delete(context.Background(), "dualnet-controller", metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete Lease: %v", err)
		}
	})
	// Node IPAM (nodes patch) and the route controller (nodes/status patch).
	poll.Eventually(t, remaining(ctx), "node "+routed+" has pod CIDRs of both families and NetworkUnavailable=False", func() error {
		node, err := client.CoreV1().Nodes().Get(ctx, routed, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(node.Spec.PodCIDRs) != 2 {
			return fmt.Errorf("pod CIDRs %v", node.Spec.PodCIDRs)
		}
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeNetworkUnavailable && c.Status == corev1.ConditionFalse && c.Reason == "RouteCreated" {
				return nil
			}
		}
		return fmt.Errorf("conditions %+v", node.Status.Conditions)
	})
	// Events (create).
	eventuallyEvent(ctx, t, client, outside, "PodCIDROutsideClusterRange")
	noRefusals(t, "dualnet-controller", out)
}

// eventuallyEvent waits until the node has an event with the reason.
func eventuallyEvent(ctx context.Context, t *testing.T, client kubernetes.Interface, node, reason string) {
	t.Helper()
	poll.Eventually(t, remaining(ctx), reason+" event for node "+node, func() error {
		events, err := client.CoreV1().Events(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{
			FieldSelector: "involvedObject.name=" + node})
		if err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Reason == reason {
				return nil
			}
		}
		return fmt.Errorf("%d events, none %s", len(events.Items), reason)
	})
}

// noRefusals fails the test if the process's log shows the API server refused it anything.
func noRefusals(t *testing.T, name string, out *syncbuf.Buffer) {
	t.Helper()
	if log := out.String(); strings.Contains(strings.ToLower(log), "forbidden") {
		t.Errorf("the API server refused %s something; its log:\n%s", name, log)
	}
}

// createNode creates a node with InternalIPs (and pod CIDRs, if any) as kubelet would, and
// deletes it and its events when the test ends.
func createNode(t *testing.T, client kubernetes.Interface, name string, podCIDRs []string, ips ...string) {
	t.Helper()
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDRs: podCIDRs}}
	if len(podCIDRs) > 0 {
		node.Spec.PodCIDR = podCIDRs[0]
	}
	created, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if err := client.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete node %s: %v", name, err)
		}
		if err := client.CoreV1().Events(metav1.NamespaceDefault).DeleteCollection(ctx, metav1.DeleteOptions{},
			metav1.ListOptions{FieldSelector: "involvedObject.name=" + name}); err != nil {
			t.Errorf("delete events of node %s: %v", name, err)
		}
	})
	for _, ip := range ips {
		created.Status.Addresses = append(created.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip})
	}
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("set addresses of node %s: %v", name, err)
	}
}

// startProcess starts bin with args (and env added to this process's), stops it (SIGTERM, then SIGKILL after 20s) when the test
// ends, and returns its combined output so far at any time.
func startProcess(t *testing.T, bin string, args []string, env ...string) *syncbuf.Buffer {
	t.Helper()
	out := &syncbuf.Buffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("%s did not stop within 20s of SIGTERM", filepath.Base(bin))
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), out.String())
		}
	})
	return out
}

// remaining is what is left of ctx's deadline: the waits of one test share its budget.
func remaining(ctx context.Context) time.Duration {
	d, _ := ctx.Deadline()
	return time.Until(d)
}
