package netspec

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestNodeCIDRsAreIPv4FirstAndNeverIPv6Alone(t *testing.T) {
	for _, ok := range [][]string{
		nil,
		{"10.244.1.0/24"},
		{"10.244.1.0/24", "fd12:3456:789a:0:1::/80"},
		{" 10.244.1.0/30", "fd12:3456:789a:0:1::/126 "},
	} {
		got, err := ParseNodeCIDRs("podCIDRs", ok)
		if err != nil {
			t.Errorf("ParseNodeCIDRs(%q) = %v", ok, err)
			continue
		}
		var want []string
		for _, s := range ok {
			want = append(want, strings.TrimSpace(s))
		}
		if !slices.Equal(got, prefixes(want...)) {
			t.Errorf("ParseNodeCIDRs(%q) = %v, want %v", ok, got, want)
		}
	}
}

// Each broken rule names the field, the value and the rule, as the spec's flags do.
func TestEachBrokenNodeCIDRRuleNamesTheFieldAndRule(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  []string
		want []string
	}{
		{"not a CIDR", []string{"10.244.1.0/33"}, []string{`"10.244.1.0/33" is not a CIDR range`}},
		{"host bits", []string{"10.244.1.5/24"}, []string{"10.244.1.5/24 has host bits set", "did you mean 10.244.1.0/24?"}},
		{"IPv4-mapped", []string{"::ffff:10.244.1.0/120"}, []string{"IPv4-mapped", "10.244.1.0/24"}},
		{"IPv4 too small", []string{"10.244.1.0/31"}, []string{"10.244.1.0/31 leaves no room for the bridge gateway and a pod", "/30 or shorter"}},
		{"IPv6 too small", []string{"10.244.1.0/24", "fd00::/127"}, []string{"fd00::/127 leaves no room", "/126 or shorter"}},
		{"IPv6 alone", []string{"fd00::/80"}, []string{"fd00::/80 alone", "IPv6-only", "IPv4 range first"}},
		{"IPv6 first", []string{"fd00::/80", "10.244.1.0/24"}, []string{"IPv6 range fd00::/80 comes before the IPv4 range 10.244.1.0/24", "list IPv4 first"}},
		{"two IPv4", []string{"10.244.1.0/24", "10.244.2.0/24"}, []string{"both IPv4", "one range per family"}},
		{"two IPv6", []string{"fd00::/80", "fd01::/80"}, []string{"both IPv6"}},
		{"three", []string{"10.0.0.0/24", "fd00::/80", "10.1.0.0/24"}, []string{"3 ranges given", "at most one per family"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNodeCIDRs("podCIDRs", tc.raw)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Flag != "podCIDRs" || !strings.HasPrefix(err.Error(), "podCIDRs: ") {
				t.Fatalf("ParseNodeCIDRs(%q) = %v, want a *FieldError naming podCIDRs", tc.raw, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseNodeCIDRs(%q) = %q, want it to say %q", tc.raw, err, w)
				}
			}
		})
	}
}
