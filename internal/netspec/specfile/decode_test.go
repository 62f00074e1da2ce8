package specfile

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/netspec"
)

const header = "apiVersion: dualnet.io/v1alpha1\nkind: NetworkSpec\n"

func TestConfigFileWithOnlyItsTypeIsTheDefaultSpec(t *testing.T) {
	for _, data := range []string{header, header + "nodeSubnets: []\n", header + "podCIDRs: []\nnodeSubnets:\n", "---\n" + header + "---\n"} {
		s, err := Parse("network.yaml", []byte(data))
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if s.File != "network.yaml" {
			t.Errorf("%q: File = %q, want the name Parse was given", data, s.File)
		}
		if !equalSpec(s, netspec.Default()) {
			t.Errorf("%q gives %+v, want the defaults %+v", data, s, netspec.Default())
		}
	}
}

// Every field of the file lands where its flag would put it.
func TestConfigFileSetsEveryFieldAsItsFlagWould(t *testing.T) {
	data := header + `ipFamilies: [ipv4, ipv6]
podCIDRs: [10.200.0.0/14, "fd00:1::/56"]
serviceCIDRs: [10.96.0.0/12, fd00:2::/112]
nodeCIDRMaskSizeIPv4: 25
nodeCIDRMaskSizeIPv6: 96
maxRoutes: 1000
nodeSubnets: [10.240.0.0/16, 2001:db8::/64]
`
	fromFile, err := Parse("network.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	fromFlags, err := netspec.Parse(netspec.Input{IPFamilies: "ipv4,ipv6", PodCIDRs: "10.200.0.0/14,fd00:1::/56",
		ServiceCIDRs: "10.96.0.0/12,fd00:2::/112", NodeCIDRMaskSizeIPv4: 25, NodeCIDRMaskSizeIPv6: 96,
		MaxRoutes: 1000, NodeSubnets: "10.240.0.0/16,2001:db8::/64"})
	if err != nil {
		t.Fatal(err)
	}
	if !equalSpec(fromFile, fromFlags) {
		t.Errorf("file gives %+v, flags give %+v", fromFile, fromFlags)
	}
}

func TestConfigFileInJSONReadsLikeYAML(t *testing.T) {
	js := `{"apiVersion": "dualnet.io/v1alpha1", "kind": "NetworkSpec", "ipFamilies": ["ipv4"],
		"podCIDRs": ["10.200.0.0/16"], "maxRoutes": 50}`
	fromJSON, err := Parse("network.json", []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := Parse("network.yaml", []byte(header+"ipFamilies: [ipv4]\npodCIDRs: [10.200.0.0/16]\nmaxRoutes: 50\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !equalSpec(fromJSON, fromYAML) || len(fromJSON.Families) != 1 || fromJSON.MaxRoutes != 50 {
		t.Errorf("JSON gives %+v, YAML %+v", fromJSON, fromYAML)
	}
}

// Decoding is strict: each mistake is an error naming the file, the field and the fix.
func TestConfigFileMistakesNameTheFileAndField(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string // whole errors, in order
	}{
		{"unknown field", header + "podCIDR: [10.244.0.0/16]\n",
			[]string{"network.yaml: podCIDR: is not a field of a NetworkSpec: the fields are apiVersion, kind, ipFamilies, podCIDRs, serviceCIDRs, nodeCIDRMaskSizeIPv4, nodeCIDRMaskSizeIPv6, maxRoutes, nodeSubnets"}},
		{"field names are case-sensitive", header + "PodCIDRs: [10.244.0.0/16]\n",
			[]string{"network.yaml: PodCIDRs: is not a field of a NetworkSpec: did you mean podCIDRs?"}},
		{"the flag's name is not the field's", header + "max-routes: 10\n",
			[]string{"network.yaml: max-routes: is not a field of a NetworkSpec: did you mean maxRoutes?"}},
		{"wrong kind", "apiVersion: dualnet.io/v1alpha1\nkind: NetworkPolicy\nbogus: 1\n",
			[]string{`network.yaml: kind: "NetworkPolicy" is not NetworkSpec: start the file with apiVersion: dualnet.io/v1alpha1 and kind: NetworkSpec`}},
		{"wrong apiVersion", "apiVersion: dualnet.io/v1\nkind: NetworkSpec\n",
			[]string{`network.yaml: apiVersion: "dualnet.io/v1" is not dualnet.io/v1alpha1: start the file with apiVersion: dualnet.io/v1alpha1 and kind: NetworkSpec`}},
		{"no type at all", "podCIDRs: [10.244.0.0/16]\n",
			[]string{"network.yaml: apiVersion: is missing: start the file with apiVersion: dualnet.io/v1alpha1 and kind: NetworkSpec",
				"network.yaml: kind: is missing: start the file with apiVersion: dualnet.io/v1alpha1 and kind: NetworkSpec"}},
		{"a list written as the flag", header + "ipFamilies: ipv4,ipv6\n",
			[]string{`network.yaml: ipFamilies: "ipv4,ipv6" is not a list of strings: write a list, one item per family, like [ipv4, ipv6]`}},
		{"a number in quotes", header + "maxRoutes: \"400\"\n",
			[]string{`network.yaml: maxRoutes: "400" is not a whole number: write one without quotes, like 400 (the default)`}},
		{"a fraction", header + "nodeCIDRMaskSizeIPv6: 80.5\n",
			[]string{`network.yaml: nodeCIDRMaskSizeIPv6: 80.5 is not a whole number: write one without quotes, like 80 (the default)`}},
		{"a list of lists", header + "podCIDRs: [[10.244.0.0/16]]\n",
			[]string{`network.yaml: podCIDRs: [["10.244.0.0/16"]] is not a list of strings: write a list, one item per family, like [10.244.0.0/16, fd12:3456:789a::/64]`}},
		{"two ranges in one item", header + "serviceCIDRs: [\"10.0.0.0/16,fd12:3456:789a:1::/108\"]\n",
			[]string{`network.yaml: serviceCIDRs[0]: "10.0.0.0/16,fd12:3456:789a:1::/108" holds a comma: give each its own item, like [10.0.0.0/16, fd12:3456:789a:1::/108]`}},
		{"an empty item", header + "podCIDRs: [10.244.0.0/16, \"\"]\n",
			[]string{`network.yaml: podCIDRs[1]: is empty: remove the item or fill it in`}},
		{"a key given twice", header + "maxRoutes: 10\nmaxRoutes: 20\n",
			[]string{`network.yaml: cannot be read as YAML or JSON: yaml: unmarshal errors: line 4: key "maxRoutes" already set in map`}},
		{"not YAML", header + "podCIDRs: [10.244.0.0/16\n",
			[]string{`network.yaml: cannot be read as YAML or JSON: yaml: line 3: did not find expected ',' or ']'`}},
		{"two documents", header + "---\nmaxRoutes: 1\n",
			[]string{`network.yaml: holds 2 YAML documents: put the whole spec in one, without --- lines between its fields`}},
		{"a broken second document", header + "---\nmaxRoutes: [1\n",
			[]string{`network.yaml: holds 2 YAML documents: put the whole spec in one, without --- lines between its fields`}},
		{"a list, not an object", "- 10.244.0.0/16\n",
			[]string{`network.yaml: holds ["10.244.0.0/16"], not a NetworkSpec object: start the file with apiVersion: dualnet.io/v1alpha1 and kind: NetworkSpec`}},
		{"empty", "# nothing yet\n",
			[]string{`network.yaml: is empty: start the file with apiVersion: dualnet.io/v1alpha1 and kind: NetworkSpec`}},
		{"several at once", header + "ipFamilies: ipv4\nmaxRoutes: many\nnodesubnets: []\nzones: [1]\n",
			[]string{
				`network.yaml: ipFamilies: "ipv4" is not a list of strings: write a list, one item per family, like [ipv4, ipv6]`,
				`network.yaml: maxRoutes: "many" is not a whole number: write one without quotes, like 400 (the default)`,
				`network.yaml: nodesubnets: is not a field of a NetworkSpec: did you mean nodeSubnets?`,
				`network.yaml: zones: is not a field of a NetworkSpec: the fields are apiVersion, kind, ipFamilies, podCIDRs, serviceCIDRs, nodeCIDRMaskSizeIPv4, nodeCIDRMaskSizeIPv6, maxRoutes, nodeSubnets`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("network.yaml", []byte(tt.data))
			checkErrors(t, err, tt.want)
		})
	}
}

// A broken rule in a file names the file and the field the user wrote, never a flag the
// user did not type, in its text as well as in front.
func TestConfigRuleErrorsNameTheFileFieldNotTheFlag(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string
	}{
		{"ipv6 service range too large", header + "serviceCIDRs: [10.0.0.0/16, fd12:3456:789a:1::/100]\n",
			[]string{"network.yaml: serviceCIDRs: fd12:3456:789a:1::/100 is larger than /108, the largest IPv6 service range: use a /108 or smaller, like fd12:3456:789a:1::/108"}},
		{"count against the families", header + "podCIDRs: [10.244.0.0/16]\n",
			[]string{`network.yaml: podCIDRs: "10.244.0.0/16" has 1 range(s) but ipFamilies ipv4,ipv6 needs 2: give one range per family, in the order of ipFamilies`}},
		{"ipv6 first", header + "ipFamilies: [ipv6, ipv4]\n",
			[]string{`network.yaml: ipFamilies: "ipv6,ipv4": IPv6 as the first family is not supported in AKS dual-stack kubenet mode: use ipv4,ipv6`}},
		{"node mask", header + "nodeCIDRMaskSizeIPv4: 16\n",
			[]string{"network.yaml: nodeCIDRMaskSizeIPv4: /16 is not longer than the IPv4 pod CIDR 10.244.0.0/16, so a node's range would not fit inside it more than once: use a mask longer than 16 (the default is /24)"}},
		{"every broken rule, joined", header + "serviceCIDRs: [10.0.0.0/16, fd12:3456:789a:1::/100]\nnodeSubnets: [10.244.0.0/24, 2001:db8::/64]\n",
			[]string{"network.yaml: nodeSubnets: 10.244.0.0/24 overlaps podCIDRs 10.244.0.0/16: pod, service and node ranges must not overlap",
				"network.yaml: serviceCIDRs: fd12:3456:789a:1::/100 is larger than /108, the largest IPv6 service range: use a /108 or smaller, like fd12:3456:789a:1::/108"}},
		{"every broken field, joined", header + "podCIDRs: [10.244.1.0/16, fd12:3456:789a::/64]\nmaxRoutes: 0\n",
			[]string{"network.yaml: podCIDRs: 10.244.1.0/16 has host bits set: did you mean 10.244.0.0/16?",
				"network.yaml: maxRoutes: 0 leaves no room for a node: each node needs 2 route(s), one per family: use at least 2 (the default is 400)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("network.yaml", []byte(tt.data))
			checkErrors(t, err, tt.want)
			if err != nil && strings.Contains(err.Error(), "--") {
				t.Errorf("error %q names a flag", err)
			}
		})
	}
}

// checkErrors wants err to join exactly want, each a *netspec.FieldError.
func checkErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	got := leaves(err)
	if len(got) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(got), len(want), err)
	}
	for i, e := range got {
		if e.Error() != want[i] {
			t.Errorf("error %d:\n got %s\nwant %s", i, e, want[i])
		}
		var fe *netspec.FieldError
		if !errors.As(e, &fe) {
			t.Errorf("error %q is a %T, not a *netspec.FieldError", e, e)
		}
	}
}

// equalSpec compares two specs' values, not the file they came from.
func equalSpec(a, b netspec.Spec) bool {
	return slices.Equal(a.Families, b.Families) && slices.Equal(a.PodCIDRs, b.PodCIDRs) &&
		slices.Equal(a.ServiceCIDRs, b.ServiceCIDRs) && slices.Equal(a.NodeSubnets, b.NodeSubnets) &&
		a.NodeMaskSizeIPv4 == b.NodeMaskSizeIPv4 && a.NodeMaskSizeIPv6 == b.NodeMaskSizeIPv6 && a.MaxRoutes == b.MaxRoutes
}
