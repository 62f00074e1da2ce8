package nodeipam

import (
	"context"
	"net/netip"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dualnet/dualnet/internal/kubetest"
)

// The node write is the last guard against giving a CIDR to two nodes: it must fail on a
// node recreated under the same name and on a node that already has other CIDRs.
func TestPodCIDRWriteIsRefusedOnARecreatedNodeAndNeverReplacesCIDRs(t *testing.T) {
	client := kubetest.Client()
	ctx := context.Background()
	node, err := kubetest.CreateNode(ctx, client, kubetest.Node("patch-guard", nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.CoreV1().Nodes().Delete(ctx, node.Name, metav1.DeleteOptions{}) })
	c := &Controller{client: client}
	block := func(s string) []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix(s)} }

	earlier := node.DeepCopy()
	earlier.UID = types.UID("00000000-0000-0000-0000-000000000001")
	if err := c.patchPodCIDRs(ctx, earlier, block("10.244.9.0/24")); !apierrors.IsInvalid(err) {
		t.Errorf("write for an earlier node of the same name: got %v, want it refused", err)
	}
	if err := c.patchPodCIDRs(ctx, node, block("10.244.9.0/24")); err != nil {
		t.Fatalf("first write: %v", err)
	}
	if err := c.patchPodCIDRs(ctx, node, block("10.244.9.0/24")); err != nil {
		t.Errorf("writing the same CIDRs again: %v", err)
	}
	if err := c.patchPodCIDRs(ctx, node, block("10.244.8.0/24")); err == nil {
		t.Error("a write replaced a node's pod CIDRs")
	}
}
