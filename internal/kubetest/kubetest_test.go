package kubetest_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/dualnet/dualnet/internal/kubetest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// uniqueName keeps objects of concurrent test runs apart.
func uniqueName(base string) string {
	return fmt.Sprintf("dn-%s-%d", base, os.Getpid())
}

func TestAPIServerStoresNodes(t *testing.T) {
	ctx := context.Background()
	nodes := kubetest.Client().CoreV1().Nodes()
	name := uniqueName("node")
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.NodeSpec{PodCIDRs: []string{"10.244.7.0/24", "fd12:3456:789a:0:7::/80"}},
	}
	if _, err := nodes.Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	t.Cleanup(func() { deleteIgnoringNotFound(t, "node", name, nodes.Delete) })

	got, err := nodes.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get node %s: %v", name, err)
	}
	if fmt.Sprint(got.Spec.PodCIDRs) != fmt.Sprint(node.Spec.PodCIDRs) {
		t.Errorf("node %s podCIDRs = %v, want %v", name, got.Spec.PodCIDRs, node.Spec.PodCIDRs)
	}
}

func TestDualStackServiceGetsClusterIPOfEachFamilyFromServiceCIDRs(t *testing.T) {
	ctx := context.Background()
	services := kubetest.Client().CoreV1().Services(metav1.NamespaceDefault)
	name := uniqueName("svc")
	policy := corev1.IPFamilyPolicyRequireDualStack
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			IPFamilyPolicy: &policy,
			Selector:       map[string]string{"app": name},
			Ports:          []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}
	created, err := services.Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service %s: %v", name, err)
	}
	t.Cleanup(func() { deleteIgnoringNotFound(t, "service", name, services.Delete) })

	want := []struct {
		family corev1.IPFamily
		cidr   netip.Prefix
	}{
		{corev1.IPv4Protocol, netip.MustParsePrefix("10.0.0.0/16")},
		{corev1.IPv6Protocol, netip.MustParsePrefix("fd12:3456:789a:1::/108")},
	}
	if len(created.Spec.ClusterIPs) != len(want) || len(created.Spec.IPFamilies) != len(want) {
		t.Fatalf("service %s: clusterIPs %v, ipFamilies %v; want one of each family, IPv4 first",
			name, created.Spec.ClusterIPs, created.Spec.IPFamilies)
	}
	for i, w := range want {
		ip, err := netip.ParseAddr(created.Spec.ClusterIPs[i])
		if err != nil {
			t.Fatalf("service %s: clusterIPs[%d] %q: %v", name, i, created.Spec.ClusterIPs[i], err)
		}
		if created.Spec.IPFamilies[i] != w.family || !w.cidr.Contains(ip) {
			t.Errorf("service %s: clusterIPs[%d] = %s (%s), want an %s address in %s",
				name, i, ip, created.Spec.IPFamilies[i], w.family, w.cidr)
		}
	}
	if created.Spec.ClusterIP != created.Spec.ClusterIPs[0] {
		t.Errorf("service %s: clusterIP %s is not clusterIPs[0] %s", name, created.Spec.ClusterIP, created.Spec.ClusterIPs[0])
	}
}

func TestKubeconfigFileReachesTheSameAPIServer(t *testing.T) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubetest.KubeconfigPath())
	if err != nil {
		t.Fatalf("load kubeconfig %s: %v", kubetest.KubeconfigPath(), err)
	}
	if cfg.Host != kubetest.Config().Host {
		t.Errorf("kubeconfig server %s, want %s", cfg.Host, kubetest.Config().Host)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("client from kubeconfig: %v", err)
	}
	if _, err := client.CoreV1().Namespaces().Get(context.Background(), "kube-system", metav1.GetOptions{}); err != nil {
		t.Errorf("get namespace kube-system with the kubeconfig's credential: %v", err)
	}
}

func deleteIgnoringNotFound(t *testing.T, kind, name string, del func(context.Context, string, metav1.DeleteOptions) error) {
	if err := del(context.Background(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("delete %s %s: %v", kind, name, err)
	}
}
