package nodeipam

import (
	"context"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/ipam"
)

// Event reasons, as `kubectl get events` shows them. CIDRNotAvailable is the reason
// kube-controller-manager's node IPAM uses for the same condition.
const (
	ReasonCIDRNotAvailable  = "CIDRNotAvailable"
	ReasonCIDROutsideRange  = "PodCIDROutsideClusterRange"
	ReasonCIDRConflict      = "PodCIDRConflict"
	ReasonCIDRFamilyMissing = "PodCIDRFamilyMissing"
)

// reportAdoption posts a Warning event for each thing wrong with CIDRs a node already had.
// They are reported, never fixed: pod CIDRs cannot change once set.
func (c *Controller) reportAdoption(ctx context.Context, node *corev1.Node, cidrs []netip.Prefix, report ipam.Adoption) {
	spec := c.alloc.Spec()
	if len(report.Outside) > 0 {
		c.recorder.Eventf(node, corev1.EventTypeWarning, ReasonCIDROutsideRange,
			"pod CIDRs %v are outside the cluster pod CIDRs %v (%s): dualnet keeps them (they cannot change once set) and gives nobody an overlapping block; recreate the node to get pod CIDRs from the cluster range",
			report.Outside, spec.PodCIDRs, spec.Setting("--pod-cidrs"))
	}
	for _, o := range report.Overlaps {
		c.recorder.Eventf(node, corev1.EventTypeWarning, ReasonCIDRConflict,
			"pod CIDRs %v overlap node %q's %v: pods of one of them are unreachable; recreate one of the nodes to get a free block",
			cidrs, o.Node, o.CIDRs)
	}
	if len(report.Missing) > 0 {
		c.recorder.Eventf(node, corev1.EventTypeWarning, ReasonCIDRFamilyMissing,
			"pod CIDRs %v have no %v range but the cluster's families are %v (%s): pod CIDRs cannot change once set; recreate the node to get one per family",
			cidrs, report.Missing, spec.Families, spec.Setting("--ip-families"))
	}
	klog.FromContext(ctx).Info("Node has pod CIDRs dualnet would not have given", "node", node.Name, "podCIDRs", cidrs,
		"outside", report.Outside, "overlaps", fmt.Sprint(report.Overlaps), "missingFamilies", report.Missing)
}
