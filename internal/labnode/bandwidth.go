package labnode

import (
	"fmt"
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The pod annotations that limit its bandwidth: kubenet honoured them, and containerd and
// CRI-O hand them to CNI as the bandwidth capability.
const (
	ingressBandwidthAnnotation = "kubernetes.io/ingress-bandwidth"
	egressBandwidthAnnotation  = "kubernetes.io/egress-bandwidth"
)

// The range kubelet and containerd accept for a bandwidth annotation, in bits per second.
var (
	minBandwidth = resource.MustParse("1k")
	maxBandwidth = resource.MustParse("1P")
)

// bandwidthEntry is the CNI bandwidth capability (the CNI conventions' runtimeConfig
// bandwidth), which the bandwidth plugin that dualnet chains turns into tc shaping: rates in
// bits per second, bursts in bits, zero for a direction without a limit.
type bandwidthEntry struct {
	IngressRate  uint64 `json:"ingressRate"`
	IngressBurst uint64 `json:"ingressBurst"`
	EgressRate   uint64 `json:"egressRate"`
	EgressBurst  uint64 `json:"egressBurst"`
}

// podBandwidth reads the pod's bandwidth annotations as containerd does: each a quantity
// ("10M" is 10,000,000 bits per second) between 1k and 1P, with a burst of math.MaxUint32
// bits, the most the plugin takes. A pod without the annotations gets nil (no capability).
// A bad annotation is an error naming it, and the sandbox is not created, as with containerd.
func podBandwidth(pod *corev1.Pod) (*bandwidthEntry, error) {
	ingress, err := bandwidthAnnotation(pod, ingressBandwidthAnnotation)
	if err != nil {
		return nil, err
	}
	egress, err := bandwidthAnnotation(pod, egressBandwidthAnnotation)
	if err != nil {
		return nil, err
	}
	if ingress == 0 && egress == 0 {
		return nil, nil
	}
	bw := &bandwidthEntry{IngressRate: ingress, EgressRate: egress}
	if ingress > 0 {
		bw.IngressBurst = math.MaxUint32
	}
	if egress > 0 {
		bw.EgressBurst = math.MaxUint32
	}
	return bw, nil
}

// bandwidthAnnotation is the rate the annotation asks for, in bits per second; zero without it.
func bandwidthAnnotation(pod *corev1.Pod, annotation string) (uint64, error) {
	s, ok := pod.Annotations[annotation]
	if !ok {
		return 0, nil
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, fmt.Errorf("pod annotation %s=%q: %w", annotation, s, err)
	}
	switch {
	case q.Cmp(minBandwidth) < 0:
		return 0, fmt.Errorf("pod annotation %s=%q: bandwidth is unreasonably small (< 1kbit)", annotation, s)
	case q.Cmp(maxBandwidth) > 0:
		return 0, fmt.Errorf("pod annotation %s=%q: bandwidth is unreasonably large (> 1Pbit)", annotation, s)
	}
	return uint64(q.Value()), nil
}
