package loadbalancer

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

var pools = []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8:203::/112")}

func lbService(name string, families []corev1.IPFamily, created time.Time, have ...string) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, CreationTimestamp: metav1.NewTime(created)},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, IPFamilies: families,
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
			Ports:                 []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP, NodePort: 30080}}},
	}
	for _, ip := range have {
		s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
	}
	return s
}

var (
	ipv4      = []corev1.IPFamily{corev1.IPv4Protocol}
	ipv6      = []corev1.IPFamily{corev1.IPv6Protocol}
	dualStack = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}
)

func TestEachFamilyOfAServiceGetsAFrontendFromItsPoolAndKeepsIt(t *testing.T) {
	t0 := time.Now()
	svcs := []*corev1.Service{
		lbService("nginx-ipv6", ipv6, t0.Add(time.Second)),
		lbService("nginx-ipv4", ipv4, t0),
		lbService("kept", ipv4, t0.Add(2*time.Second), "203.0.113.1"),
		lbService("both", dualStack, t0.Add(3*time.Second)),
	}
	got := frontendAddrs(svcs, pools, false)
	want := map[frontendKey]netip.Addr{
		{"default/kept", corev1.IPv4Protocol}:       netip.MustParseAddr("203.0.113.1"),
		{"default/nginx-ipv4", corev1.IPv4Protocol}: netip.MustParseAddr("203.0.113.2"),
		{"default/nginx-ipv6", corev1.IPv6Protocol}: netip.MustParseAddr("2001:db8:203::1"),
		{"default/both", corev1.IPv6Protocol}:       netip.MustParseAddr("2001:db8:203::2"),
		{"default/both", corev1.IPv4Protocol}:       netip.MustParseAddr("203.0.113.3"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("frontends:\n got %v\nwant %v", got, want)
	}
	if in := ingressOf(svcs[3], got, false); len(in) != 2 || in[0] != want[frontendKey{"default/both", corev1.IPv6Protocol}] || !in[1].Is4() {
		t.Errorf("ingress of a dual-stack Service = %v, want its IPv6 frontend, then its IPv4 one (spec.ipFamilies order)", in)
	}

	firstOnly := frontendAddrs(svcs, pools, true)
	if _, ok := firstOnly[frontendKey{"default/both", corev1.IPv4Protocol}]; ok || len(firstOnly) != 4 {
		t.Errorf("with first family only: %v, want no IPv4 frontend for the IPv6-first dual-stack Service", firstOnly)
	}
	if in := ingressOf(svcs[3], firstOnly, true); len(in) != 1 || !in[0].Is6() {
		t.Errorf("ingress with first family only = %v, want the IPv6 frontend alone", in)
	}
}

func TestRulesFollowCloudProviderAzureDefaults(t *testing.T) {
	local := lbService("local", ipv4, time.Now())
	local.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	local.Spec.HealthCheckNodePort = 32000
	local.Spec.Ports = append(local.Spec.Ports, corev1.ServicePort{Port: 53, Protocol: corev1.ProtocolUDP, NodePort: 30053})
	healthz := &Probe{Protocol: ProbeHTTP, Port: 32000, Path: "/healthz"}

	cluster := lbService("cluster", ipv4, time.Now())
	cluster.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
	cluster.Spec.Ports = append(cluster.Spec.Ports,
		corev1.ServicePort{Port: 8080, Protocol: corev1.ProtocolTCP, NodePort: 30081, AppProtocol: ptr.To("HTTP")},
		corev1.ServicePort{Port: 53, Protocol: corev1.ProtocolUDP, NodePort: 30053},
		corev1.ServicePort{Port: 9, Protocol: corev1.ProtocolSCTP, NodePort: 30009})

	noFloating := lbService("no-floating", ipv4, time.Now())
	noFloating.Annotations = map[string]string{AnnotationDisableFloatingIP: "True",
		annotationProbeProtocol: "https", annotationProbePath: "/ready"}

	for _, tc := range []struct {
		svc  *corev1.Service
		want []Rule
	}{
		{local, []Rule{
			{Protocol: corev1.ProtocolTCP, Port: 80, NodePort: 30080, FloatingIP: true, Probe: healthz},
			{Protocol: corev1.ProtocolUDP, Port: 53, NodePort: 30053, FloatingIP: true, Probe: healthz},
		}},
		{cluster, []Rule{
			{Protocol: corev1.ProtocolTCP, Port: 80, NodePort: 30080, FloatingIP: true, SourceIPAffinity: true, Probe: &Probe{Protocol: ProbeTCP, Port: 30080}},
			{Protocol: corev1.ProtocolTCP, Port: 8080, NodePort: 30081, FloatingIP: true, SourceIPAffinity: true, Probe: &Probe{Protocol: ProbeHTTP, Port: 30081, Path: "/"}},
			{Protocol: corev1.ProtocolUDP, Port: 53, NodePort: 30053, FloatingIP: true, SourceIPAffinity: true},
		}},
		{noFloating, []Rule{
			{Protocol: corev1.ProtocolTCP, Port: 80, NodePort: 30080, Probe: &Probe{Protocol: ProbeHTTPS, Port: 30080, Path: "/ready"}},
		}},
	} {
		if got := rulesOf(tc.svc); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: rules\n got %+v\nwant %+v", tc.svc.Name, got, tc.want)
		}
	}
}

func TestBackendPoolIsEveryNodesInternalIPOfTheFamilyButExcludedOnes(t *testing.T) {
	node := func(name string, labels map[string]string, addrs ...string) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
		for _, a := range addrs {
			n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: a})
		}
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: name})
		return n
	}
	got := backendPools([]*corev1.Node{
		node("n1", nil, "10.240.0.5", "2001:db8::5"),
		node("n0", nil, "10.240.0.4", "2001:db8::4", "10.240.0.40"),
		node("v4only", nil, "10.240.0.6"),
		node("excluded", map[string]string{corev1.LabelNodeExcludeBalancers: ""}, "10.240.0.7", "2001:db8::7"),
	})
	want := map[corev1.IPFamily][]Backend{
		corev1.IPv4Protocol: {{"n0", netip.MustParseAddr("10.240.0.4")}, {"n1", netip.MustParseAddr("10.240.0.5")}, {"v4only", netip.MustParseAddr("10.240.0.6")}},
		corev1.IPv6Protocol: {{"n0", netip.MustParseAddr("2001:db8::4")}, {"n1", netip.MustParseAddr("2001:db8::5")}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pools:\n got %v\nwant %v", got, want)
	}
}

func TestBackendChangesStateAfterThresholdProbesInARow(t *testing.T) {
	var h health
	fail := errors.New("HTTP 503")
	now := time.Now()
	steps := []struct {
		err     error
		up      bool
		changed bool
	}{
		{nil, false, false}, {fail, false, false}, // starts down; one success is not enough
		{nil, false, false}, {nil, true, true}, // two in a row
		{fail, true, false}, {nil, true, false}, {fail, true, false}, {fail, false, true},
	}
	for i, s := range steps {
		changed := h.observe(now.Add(time.Duration(i)*time.Second), s.err, 2)
		if h.Up != s.up || changed != s.changed {
			t.Fatalf("probe %d (%v): up=%v changed=%v, want up=%v changed=%v", i+1, s.err, h.Up, changed, s.up, s.changed)
		}
	}
	if h.Probes != len(steps) || h.Last != "HTTP 503" || !h.Since.Equal(now.Add(7*time.Second)) {
		t.Errorf("health = %+v, want %d probes, last HTTP 503, since the last change", h, len(steps))
	}
}

func TestSlotsStayWithTheirNodes(t *testing.T) {
	s := slots{}
	s.assign([]string{"a", "b", "c"})
	s.assign([]string{"a", "c", "d"})
	want := slots{"a": 1, "c": 3, "d": 2}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("slots = %v, want %v (b's slot goes to d, a and c keep theirs)", s, want)
	}
}
