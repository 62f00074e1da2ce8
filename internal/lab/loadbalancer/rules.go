package loadbalancer

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Frontend is one frontend IP configuration: a Service's public address of one family and the
// load-balancing rules on it. Its backend pool is every node's address of that family.
type Frontend struct {
	Service string // namespace/name
	IP      netip.Addr
	Rules   []Rule
}

// Rule is one load-balancing rule: a Service port on the frontend, to the backend pool.
type Rule struct {
	Protocol corev1.Protocol // TCP or UDP
	Port     int32           // the frontend's port, and the backend's with floating IP
	NodePort int32           // the backend's port without floating IP
	// FloatingIP: the packet reaches the node addressed to the frontend; without it, to
	// NodeIP:NodePort.
	FloatingIP bool
	// SourceIPAffinity is Azure's SourceIP load distribution (a hash of the source and
	// destination addresses), which cloud-provider-azure sets for sessionAffinity: ClientIP;
	// otherwise Default, a 5-tuple hash.
	SourceIPAffinity bool
	// Probe decides which backends take new flows; nil: every backend does.
	Probe *Probe
}

func (r Rule) String() string {
	s := fmt.Sprintf("%s %d", r.Protocol, r.Port)
	if r.FloatingIP {
		return s + " (floating IP)"
	}
	return fmt.Sprintf("%s -> NodePort %d (floating IP disabled)", s, r.NodePort)
}

// ProbeProtocol is a health probe's protocol, as Azure names them.
type ProbeProtocol string

const (
	ProbeTCP   ProbeProtocol = "Tcp"
	ProbeHTTP  ProbeProtocol = "Http"
	ProbeHTTPS ProbeProtocol = "Https"
)

// Probe is a health probe: a TCP connect, or an HTTP(S) GET that must answer 200, to a port of
// each backend.
type Probe struct {
	Protocol ProbeProtocol
	Port     int32
	Path     string // HTTP(S) only
}

func (p Probe) String() string {
	if p.Protocol == ProbeTCP {
		return fmt.Sprintf("TCP :%d", p.Port)
	}
	return fmt.Sprintf("%s :%d%s", strings.ToUpper(string(p.Protocol)), p.Port, p.Path)
}

// The annotations of cloud-provider-azure (pkg/consts) this load balancer reads.
const (
	AnnotationDisableFloatingIP = "service.beta.kubernetes.io/azure-disable-load-balancer-floating-ip"
	annotationProbeProtocol     = "service.beta.kubernetes.io/azure-load-balancer-health-probe-protocol"
	annotationProbePath         = "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path"
)

// healthzPath is kube-proxy's health check path for externalTrafficPolicy: Local
// (k8s.io/cloud-provider/service/helpers GetServiceHealthCheckPathPort).
const healthzPath = "/healthz"

// rulesOf is the Service's rules as cloud-provider-azure's getExpectedLBRules builds them: one
// per port, each with the port's probe, or else the Service's node-endpoint probe (Local).
// SCTP ports have none: Azure refuses SCTP on a public load balancer.
func rulesOf(svc *corev1.Service) []Rule {
	var nodeEndpoints *Probe
	if svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal && svc.Spec.HealthCheckNodePort != 0 {
		nodeEndpoints = &Probe{Protocol: ProbeHTTP, Port: svc.Spec.HealthCheckNodePort, Path: healthzPath}
	}
	floating := !strings.EqualFold(svc.Annotations[AnnotationDisableFloatingIP], "true")
	var out []Rule
	for _, port := range svc.Spec.Ports {
		if port.Protocol != corev1.ProtocolTCP && port.Protocol != corev1.ProtocolUDP {
			continue
		}
		if !floating && port.NodePort == 0 {
			continue // allocateLoadBalancerNodePorts: false leaves nothing to DNAT to
		}
		r := Rule{Protocol: port.Protocol, Port: port.Port, NodePort: port.NodePort, FloatingIP: floating,
			SourceIPAffinity: svc.Spec.SessionAffinity == corev1.ServiceAffinityClientIP, Probe: nodeEndpoints}
		if nodeEndpoints == nil {
			r.Probe = portProbe(svc, port)
		}
		out = append(out, r)
	}
	return out
}

// portProbe is a Cluster Service port's probe (buildHealthProbeRulesForPort): none for UDP,
// else on the NodePort, by the port's appProtocol, the Service's probe-protocol annotation,
// or TCP.
func portProbe(svc *corev1.Service, port corev1.ServicePort) *Probe {
	if port.Protocol == corev1.ProtocolUDP || port.NodePort == 0 {
		return nil
	}
	protocol := svc.Annotations[annotationProbeProtocol]
	if port.AppProtocol != nil {
		protocol = *port.AppProtocol
	}
	p := &Probe{Protocol: ProbeTCP, Port: port.NodePort}
	switch strings.ToLower(strings.TrimSpace(protocol)) {
	case "http":
		p.Protocol = ProbeHTTP
	case "https":
		p.Protocol = ProbeHTTPS
	default:
		return p
	}
	p.Path = "/"
	if path := svc.Annotations[annotationProbePath]; path != "" {
		p.Path = path
	}
	return p
}
