package nodeipam

import (
	"context"
	"encoding/json"
	"net/netip"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// maxPatchesInFlight bounds the node writes under way at once.
const maxPatchesInFlight = 16

// A node whose write fails is retried after patchRetryBase, doubled per failure in a row, at
// most patchRetryMax (sooner if the node changes), and all nodes' retries together at most
// patchRetryQPS a second after a burst of patchRetryBurst, as client-go's default controller
// limiter has it: writes refused for good (RBAC, an admission policy) cost a request every
// few minutes per node, not one every few milliseconds.
const (
	patchRetryBase  = 5 * time.Millisecond
	patchRetryMax   = 5 * time.Minute
	patchRetryQPS   = 10
	patchRetryBurst = 100
)

func newPatchRetry() workqueue.TypedRateLimiter[string] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](patchRetryBase, patchRetryMax),
		&workqueue.TypedBucketRateLimiter[string]{Limiter: rate.NewLimiter(patchRetryQPS, patchRetryBurst)},
	)
}

// patchInBackground writes a node's new CIDRs without holding up the worker, so that
// allocation (one worker, nodes in the order they appear) is not paced by API round trips, as
// kube-controller-manager's node IPAM does with its CIDR update workers. A failed write puts
// the node back in the queue after a wait that grows per failure (patchRetry); the allocation
// stays the node's, so the retry sends the same CIDRs.
func (c *Controller) patchInBackground(ctx context.Context, node *corev1.Node, cidrs []netip.Prefix) {
	name := node.Name
	select {
	case c.patchSlots <- struct{}{}:
	case <-ctx.Done():
		return
	}
	c.patching.Add(1)
	go func() {
		defer func() {
			<-c.patchSlots
			c.patching.Done()
		}()
		err := c.patchPodCIDRs(ctx, node, cidrs)
		switch {
		case err == nil:
			c.patchRetry.Forget(name)
			klog.FromContext(ctx).V(2).Info("Assigned pod CIDRs", "node", name, "podCIDRs", cidrs)
		case apierrors.IsNotFound(err):
			c.release(ctx, name)
		case ctx.Err() == nil:
			after := c.patchRetry.When(name)
			klog.FromContext(ctx).Error(err, "Retrying node", "node", name, "podCIDRs", cidrs,
				"failuresInARow", c.patchRetry.NumRequeues(name), "after", after)
			c.queue.AddAfter(name, after)
		}
	}()
}

// fieldManager names dualnet as the writer of the pod CIDR fields.
const fieldManager = "dualnet-controller"

// patchPodCIDRs sets spec.podCIDRs (IPv4 first) and spec.podCIDR (the first of them). Only
// nodes without CIDRs are patched; should the cache be stale, kube-apiserver still refuses
// to change CIDRs once set, so a node's CIDRs can never be replaced from here.
//
// The node's UID goes with the patch: should the node be deleted (its block released and
// perhaps given to another node) and created again under the same name while the write is
// under way, kube-apiserver refuses the write instead of giving the block to two nodes.
func (c *Controller) patchPodCIDRs(ctx context.Context, node *corev1.Node, cidrs []netip.Prefix) error {
	list := make([]string, len(cidrs))
	for i, p := range cidrs {
		list[i] = p.String()
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"uid": node.UID},
		"spec":     map[string]any{"podCIDR": list[0], "podCIDRs": list},
	})
	if err != nil {
		return err
	}
	_, err = c.client.CoreV1().Nodes().Patch(ctx, node.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
	return err
}
