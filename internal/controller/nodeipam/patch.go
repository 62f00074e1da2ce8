package nodeipam

import (
	"context"
	"encoding/json"
	"net/netip"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// fieldManager names dualnet as the writer of the pod CIDR fields.
const fieldManager = "dualnet-controller"

// patchPodCIDRs sets spec.podCIDRs (IPv4 first) and spec.podCIDR (the first of them). Only
// nodes without CIDRs are patched; should the cache be stale, kube-apiserver still refuses
// to change CIDRs once set, so a node's CIDRs can never be replaced from here.
func (c *Controller) patchPodCIDRs(ctx context.Context, name string, cidrs []netip.Prefix) error {
	list := make([]string, len(cidrs))
	for i, p := range cidrs {
		list[i] = p.String()
	}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"podCIDR": list[0], "podCIDRs": list}})
	if err != nil {
		return err
	}
	_, err = c.client.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
	return err
}
