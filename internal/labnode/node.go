package labnode

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// heartbeat is how often the node renews its Lease and reports Ready, as a kubelet does
// (--node-status-update-frequency and the lease renew interval are both 10s by default).
const heartbeat = 10 * time.Second

// leaseSeconds is the node Lease's duration, the kubelet's default.
const leaseSeconds = 40

// register creates the Node, or brings an existing one's addresses and conditions up to date
// (a restarted lab node keeps its spec.podCIDRs and the conditions others own).
func register(ctx context.Context, client kubernetes.Interface, cfg Config) (*corev1.Node, error) {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: cfg.NodeName,
			Labels: map[string]string{
				"kubernetes.io/hostname": cfg.NodeName,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				// As on AKS nodes without availability zones: the zone label makes the
				// scheduler's default topology spreading count the node, so a Deployment's
				// replicas spread over the nodes as they do on AKS.
				"topology.kubernetes.io/region": "dualnet-lab",
				"topology.kubernetes.io/zone":   "0",
				"dualnet.io/lab-node":           "true",
			},
		},
	}
	created, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	switch {
	case err == nil:
		node = created
	case apierrors.IsAlreadyExists(err):
		if node, err = client.CoreV1().Nodes().Get(ctx, cfg.NodeName, metav1.GetOptions{}); err != nil {
			return nil, fmt.Errorf("get node %s: %w", cfg.NodeName, err)
		}
	default:
		return nil, fmt.Errorf("register node %s: %w", cfg.NodeName, err)
	}
	return reportStatus(ctx, client, cfg, true)
}

// reportStatus patches the node's addresses, capacity and the conditions a kubelet owns;
// a strategic merge keeps the conditions others own (NetworkUnavailable).
func reportStatus(ctx context.Context, client kubernetes.Interface, cfg Config, full bool) (*corev1.Node, error) {
	now := metav1.Now()
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	status := corev1.NodeStatus{
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "lab node has sufficient memory available"),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "lab node has no disk pressure"),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "lab node has sufficient PID available"),
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "dualnet lab node is posting ready status"),
		},
	}
	if full {
		for _, ip := range cfg.NodeIPs {
			status.Addresses = append(status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip.String()})
		}
		status.Addresses = append(status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: cfg.NodeName})
		status.Capacity = corev1.ResourceList{
			corev1.ResourceCPU:              resource.MustParse("2"),
			corev1.ResourceMemory:           resource.MustParse("4Gi"),
			corev1.ResourcePods:             resource.MustParse("110"),
			corev1.ResourceEphemeralStorage: resource.MustParse("20Gi"),
		}
		status.Allocatable = status.Capacity
		status.NodeInfo = corev1.NodeSystemInfo{
			KubeletVersion:          "v1.37.2",
			OperatingSystem:         "linux",
			Architecture:            "amd64",
			OSImage:                 "dualnet lab",
			ContainerRuntimeVersion: "dualnet-lab://builtin",
		}
		// Addresses are replaced as a whole (a JSON merge patch): a strategic merge keys them by
		// type, and two InternalIPs would collide (kubernetes/kubernetes#63470, which the
		// kubelet works around the same way).
		whole := map[string]any{"status": map[string]any{
			"addresses": status.Addresses, "capacity": status.Capacity,
			"allocatable": status.Allocatable, "nodeInfo": status.NodeInfo,
		}}
		patch, err := json.Marshal(whole)
		if err != nil {
			return nil, err
		}
		if _, err := client.CoreV1().Nodes().Patch(ctx, cfg.NodeName, types.MergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
			return nil, fmt.Errorf("report addresses of node %s: %w", cfg.NodeName, err)
		}
	}
	// Conditions by strategic merge, keyed by type: NetworkUnavailable (dualnet-controller's)
	// stays as it is.
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": status.Conditions}})
	if err != nil {
		return nil, err
	}
	node, err := client.CoreV1().Nodes().PatchStatus(ctx, cfg.NodeName, patch)
	if err != nil {
		return nil, fmt.Errorf("report status of node %s: %w", cfg.NodeName, err)
	}
	return node, nil
}

// renewLease creates or renews the node's Lease in kube-node-lease, which the node lifecycle
// controller reads as the node's heartbeat.
func renewLease(ctx context.Context, client kubernetes.Interface, node *corev1.Node) error {
	leases := client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	lease, err := leases.Get(ctx, node.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name:      node.Name,
				Namespace: corev1.NamespaceNodeLease,
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: "v1", Kind: "Node", Name: node.Name, UID: types.UID(node.UID),
				}},
			},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity:       ptr.To(node.Name),
				LeaseDurationSeconds: ptr.To[int32](leaseSeconds),
				RenewTime:            &now,
			},
		}
		_, err = leases.Create(ctx, lease, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.RenewTime = &now
	lease.Spec.HolderIdentity = ptr.To(node.Name)
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}
