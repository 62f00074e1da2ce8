package labnode

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dualnet/dualnet/internal/kubetest"
)

func TestRegisterReportsBothInternalIPsIPv4FirstReadyAndALeaseAndSurvivesARestart(t *testing.T) {
	client := kubetest.Client()
	ctx := context.Background()
	cfg := Config{
		NodeName: fmt.Sprintf("dn-labnode-%d", os.Getpid()),
		NodeIPs:  []netip.Addr{netip.MustParseAddr("10.240.0.4"), netip.MustParseAddr("2001:db8:5678:9abc::4")},
	}
	t.Cleanup(func() {
		_ = client.CoreV1().Nodes().Delete(context.Background(), cfg.NodeName, metav1.DeleteOptions{})
		_ = client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(context.Background(), cfg.NodeName, metav1.DeleteOptions{})
	})
	// Twice: the second time is a restarted lab node meeting its own Node.
	for run := 1; run <= 2; run++ {
		node, err := register(ctx, client, cfg)
		if err != nil {
			t.Fatalf("register (run %d): %v", run, err)
		}
		if err := renewLease(ctx, client, node); err != nil {
			t.Fatalf("renew lease (run %d): %v", run, err)
		}
	}
	// Another owner's condition survives the lab node's status reports.
	patch := []byte(`{"status":{"conditions":[{"type":"NetworkUnavailable","status":"False","reason":"RouteCreated"}]}}`)
	if _, err := client.CoreV1().Nodes().PatchStatus(ctx, cfg.NodeName, patch); err != nil {
		t.Fatal(err)
	}
	if _, err := reportStatus(ctx, client, cfg, true); err != nil {
		t.Fatal(err)
	}
	node, err := client.CoreV1().Nodes().Get(ctx, cfg.NodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var internal []string
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			internal = append(internal, a.Address)
		}
	}
	if len(internal) != 2 || internal[0] != "10.240.0.4" || internal[1] != "2001:db8:5678:9abc::4" {
		t.Errorf("InternalIPs = %v, want [10.240.0.4 2001:db8:5678:9abc::4]", internal)
	}
	status := map[corev1.NodeConditionType]corev1.ConditionStatus{}
	for _, c := range node.Status.Conditions {
		status[c.Type] = c.Status
	}
	if status[corev1.NodeReady] != corev1.ConditionTrue || status[corev1.NodeNetworkUnavailable] != corev1.ConditionFalse {
		t.Errorf("conditions = %v, want Ready=True and NetworkUnavailable=False kept", status)
	}
	lease, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, cfg.NodeName, metav1.GetOptions{})
	if err != nil || lease.Spec.RenewTime == nil || *lease.Spec.HolderIdentity != cfg.NodeName {
		t.Errorf("node lease: %v, %+v", err, lease)
	}
}
