package labnode

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// portMapping is one entry of the CNI portMappings capability (the CNI conventions'
// runtimeConfig.portMappings), which the portmap plugin that dualnet chains turns into DNAT
// rules on the node.
type portMapping struct {
	HostPort      int32  `json:"hostPort"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

// portMappings lists the pod's container ports that ask for a hostPort, as kubelet hands
// them to the runtime in the sandbox config and containerd to CNI: the ports of the
// (non-init) containers with a hostPort, the protocol in lower case, the hostIP as given.
func portMappings(pod *corev1.Pod) []portMapping {
	var out []portMapping
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort <= 0 {
				continue
			}
			protocol := p.Protocol
			if protocol == "" {
				protocol = corev1.ProtocolTCP // the API server's default
			}
			out = append(out, portMapping{
				HostPort:      p.HostPort,
				ContainerPort: p.ContainerPort,
				Protocol:      strings.ToLower(string(protocol)),
				HostIP:        p.HostIP,
			})
		}
	}
	return out
}
