package labnode

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

func TestUnknownImageWaitsWithAReasonNamingTheBuiltins(t *testing.T) {
	cfg := Config{NodeIPs: []netip.Addr{netip.MustParseAddr("10.240.0.4"), netip.MustParseAddr("2001:db8::4")}}
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "db", Image: "redis:7"}}}}
	rt := &podRuntime{
		sandbox:    &sandbox{ips: []netip.Addr{netip.MustParseAddr("10.244.0.2"), netip.MustParseAddr("fd12:3456:789a::2")}},
		createdAt:  time.Now().Truncate(time.Second),
		containers: []*container{newContainer(pod.Spec.Containers[0])},
	}
	s := cfg.status(pod, rt)
	w := s.ContainerStatuses[0].State.Waiting
	if w == nil || w.Reason != reasonNotBuiltIn || !strings.Contains(w.Message, "nginx, busybox, agnhost") {
		t.Fatalf("container state = %+v, want waiting %s naming the built-in images", s.ContainerStatuses[0].State, reasonNotBuiltIn)
	}
	if s.Phase != corev1.PodPending {
		t.Errorf("phase = %s, want Pending", s.Phase)
	}
	if len(s.PodIPs) != 2 || s.PodIPs[0].IP != "10.244.0.2" || s.PodIP != "10.244.0.2" {
		t.Errorf("podIPs = %v (podIP %s), want the sandbox's, IPv4 first", s.PodIPs, s.PodIP)
	}
	// Reported once, the same status compares equal: no write loop.
	pod.Status = s
	if again := cfg.status(pod, rt); !equality.Semantic.DeepEqual(again, s) {
		t.Errorf("status changed between two computations:\n%+v\n%+v", s, again)
	}
}
