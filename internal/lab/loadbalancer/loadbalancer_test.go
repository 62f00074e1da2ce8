package loadbalancer

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/knftables"
)

var pools = []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8:203::/112")}

func lbService(name string, family corev1.IPFamily, created time.Time, have string) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, CreationTimestamp: metav1.NewTime(created)},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, IPFamilies: []corev1.IPFamily{family},
			Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}},
	}
	if have != "" {
		s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: have}}
	}
	return s
}

func TestFrontendsComeFromThePoolOfTheFirstFamilyAndStay(t *testing.T) {
	t0 := time.Now()
	svcs := []*corev1.Service{
		lbService("nginx-ipv6", corev1.IPv6Protocol, t0.Add(time.Second), ""),
		lbService("nginx-ipv4", corev1.IPv4Protocol, t0, ""),
		lbService("kept", corev1.IPv4Protocol, t0.Add(2*time.Second), "203.0.113.1"),
	}
	got := frontends(svcs, pools)
	want := map[string]string{"default/kept": "203.0.113.1", "default/nginx-ipv4": "203.0.113.2", "default/nginx-ipv6": "2001:db8:203::1"}
	for k, w := range want {
		if got[k].String() != w {
			t.Errorf("%s: got %s, want %s", k, got[k], w)
		}
	}
}

func TestFrontendsForwardToReadyEndpointsOfTheSameFamily(t *testing.T) {
	svc := lbService("nginx-ipv6", corev1.IPv6Protocol, time.Now(), "")
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "nginx-ipv6-abc",
			Labels: map[string]string{discoveryv1.LabelServiceName: "nginx-ipv6"}},
		AddressType: discoveryv1.AddressTypeIPv6,
		Ports:       []discoveryv1.EndpointPort{{Port: ptr.To[int32](80)}},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"fd12:3456:789a:0:1::2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}},
			{Addresses: []string{"fd12:3456:789a:0:2::2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}},
		},
	}
	front := frontends([]*corev1.Service{svc}, pools)
	fwds := forwards([]*corev1.Service{svc}, front, []*discoveryv1.EndpointSlice{slice})
	if len(fwds) != 1 || len(fwds[0].endpoints) != 1 || fwds[0].endpoints[0].String() != "[fd12:3456:789a:0:1::2]:80" {
		t.Fatalf("forwards = %+v, want the ready endpoint only", fwds)
	}
	fake := knftables.NewFake(knftables.InetFamily, Table)
	tx := fake.NewTransaction()
	transaction(tx, fwds)
	if err := fake.Run(t.Context(), tx); err != nil {
		t.Fatal(err)
	}
	dump := fake.Dump()
	for _, want := range []string{
		"ip6 daddr 2001:db8:203::1 tcp dport 80 goto fe-",
		"numgen random mod 1 vmap { 0 : goto ep-",
		"meta l4proto tcp dnat ip6 to [fd12:3456:789a:0:1::2]:80",
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("table lacks %q:\n%s", want, dump)
		}
	}
}
