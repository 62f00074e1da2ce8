package labnode

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// The lab node hands CNI the pod's hostPorts as containerd does: only ports with a hostPort,
// of every container, protocol in lower case, hostIP when set; a pod without hostPorts gets
// no capability argument at all.
func TestRuntimeConfPassesTheHostPortsAsPortMappings(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "web", Ports: []corev1.ContainerPort{
			{ContainerPort: 80, HostPort: 8080, Protocol: corev1.ProtocolTCP},
			{ContainerPort: 9090, Protocol: corev1.ProtocolTCP},
		}},
		{Name: "dns", Ports: []corev1.ContainerPort{
			{ContainerPort: 53, HostPort: 5353, Protocol: corev1.ProtocolUDP, HostIP: "fd00:30::4"},
		}},
	}}}
	rt := Config{}.runtimeConf(pod, "pod")
	got, err := json.Marshal(rt.CapabilityArgs)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":5353,"containerPort":53,"protocol":"udp","hostIP":"fd00:30::4"}]}`
	if string(got) != want {
		t.Errorf("CapabilityArgs = %s\nwant %s", got, want)
	}
	pod.Spec.Containers = pod.Spec.Containers[:1]
	pod.Spec.Containers[0].Ports = pod.Spec.Containers[0].Ports[1:]
	if rt := (Config{}).runtimeConf(pod, "pod"); rt.CapabilityArgs != nil {
		t.Errorf("a pod without hostPorts: CapabilityArgs = %v, want none", rt.CapabilityArgs)
	}
}
