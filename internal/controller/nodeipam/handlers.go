package nodeipam

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
)

// handlers queue a node's name whenever its pod CIDRs may need work: it appeared, it still
// has none, its CIDRs changed under us, or it went away (its block is released).
func (c *Controller) handlers() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueue,
		UpdateFunc: func(oldObj, newObj any) {
			oldNode, ok1 := oldObj.(*corev1.Node)
			newNode, ok2 := newObj.(*corev1.Node)
			if !ok1 || !ok2 || len(newNode.Spec.PodCIDRs) == 0 || !slices.Equal(oldNode.Spec.PodCIDRs, newNode.Spec.PodCIDRs) {
				c.enqueue(newObj)
			}
		},
		DeleteFunc: c.enqueue,
	}
}

func (c *Controller) enqueue(obj any) {
	// Nodes are cluster-scoped: the key is the name, also for a tombstone of a missed delete.
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}
