package labnode

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func annotated(annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default", UID: "uid-1", Annotations: annotations}}
}

// The lab node hands CNI the pod's bandwidth annotations as containerd does: at ADD, each
// quantity in bits per second with a burst of math.MaxUint32 bits, zero for a direction
// without one; no capability without the annotations, and none at DEL.
func TestAddPassesTheBandwidthAnnotationsAsContainerdDoes(t *testing.T) {
	for _, c := range []struct {
		name        string
		annotations map[string]string
		want        string // the bandwidth capability's JSON; empty: none
	}{
		{"both 10M", map[string]string{"kubernetes.io/ingress-bandwidth": "10M", "kubernetes.io/egress-bandwidth": "10M"},
			`{"ingressRate":10000000,"ingressBurst":4294967295,"egressRate":10000000,"egressBurst":4294967295}`},
		{"egress only, binary suffix", map[string]string{"kubernetes.io/egress-bandwidth": "1Mi"},
			`{"ingressRate":0,"ingressBurst":0,"egressRate":1048576,"egressBurst":4294967295}`},
		{"ingress only, decimal", map[string]string{"kubernetes.io/ingress-bandwidth": "1.5G"},
			`{"ingressRate":1500000000,"ingressBurst":4294967295,"egressRate":0,"egressBurst":0}`},
		{"none", map[string]string{"other": "10M"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			pod := annotated(c.annotations)
			rt, err := Config{}.addRuntimeConf(pod, "pod")
			if err != nil {
				t.Fatal(err)
			}
			bw, ok := rt.CapabilityArgs["bandwidth"]
			if c.want == "" {
				if ok {
					t.Errorf("bandwidth capability %v, want none", bw)
				}
				return
			}
			got, err := json.Marshal(bw)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("bandwidth capability = %s\nwant %s", got, c.want)
			}
			if del := (Config{}).runtimeConf(pod, "pod"); del.CapabilityArgs["bandwidth"] != nil {
				t.Errorf("DEL's runtime config has a bandwidth capability: %v", del.CapabilityArgs)
			}
		})
	}
}

// A bad bandwidth annotation fails the sandbox with an error naming the annotation, its value
// and the rule, as containerd refuses it, rather than starting the pod unshaped.
func TestABadBandwidthAnnotationIsAnErrorNamingIt(t *testing.T) {
	for _, c := range []struct {
		annotation, value, rule string
	}{
		{"kubernetes.io/ingress-bandwidth", "10Q", "quantities must match"},
		{"kubernetes.io/egress-bandwidth", "fast", "quantities must match"},
		{"kubernetes.io/ingress-bandwidth", "500", "unreasonably small (< 1kbit)"},
		{"kubernetes.io/egress-bandwidth", "2P", "unreasonably large (> 1Pbit)"},
	} {
		_, err := Config{}.addRuntimeConf(annotated(map[string]string{c.annotation: c.value}), "pod")
		if err == nil || !strings.Contains(err.Error(), c.annotation+`="`+c.value+`"`) || !strings.Contains(err.Error(), c.rule) {
			t.Errorf("%s=%q: error %v; want one naming the annotation, the value and %q", c.annotation, c.value, err, c.rule)
		}
	}
}
