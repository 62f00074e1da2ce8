package specfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/netspec"
)

// FuzzConfigFileNeverPanics: any bytes give a Spec or errors that are all *FieldErrors
// naming the file; an accepted file's Spec, written back as flags, is accepted again and
// is the same Spec.
func FuzzConfigFileNeverPanics(f *testing.F) {
	f.Add([]byte(header))
	f.Add([]byte(header + "ipFamilies: [ipv4, ipv6]\npodCIDRs: [10.244.0.0/16, fd12:3456:789a::/64]\nserviceCIDRs: [10.0.0.0/16, fd12:3456:789a:1::/108]\nnodeCIDRMaskSizeIPv4: 24\nnodeCIDRMaskSizeIPv6: 80\nmaxRoutes: 400\nnodeSubnets: []\n"))
	f.Add([]byte(`{"apiVersion":"dualnet.io/v1alpha1","kind":"NetworkSpec","ipFamilies":["ipv4"],"nodeSubnets":["10.240.0.0/16"],"maxRoutes":1}`))
	f.Add([]byte(header + "podCIDRs: [\"10.244.0.0/16,fd00::/64\", \"\"]\nmaxRoutes: 1e3\nPodCIDRs: x\n"))
	f.Add([]byte("apiVersion: v1\nkind: Config\n"))
	f.Add([]byte("- a\n- b: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			for _, e := range leaves(err) {
				var fe *netspec.FieldError
				if !errors.As(e, &fe) || !strings.HasPrefix(e.Error(), "fuzz.yaml: ") {
					t.Fatalf("error %q (%T) is not a *netspec.FieldError naming the file", e, e)
				}
			}
			return
		}
		again, err := netspec.Parse(netspec.Input{IPFamilies: netspec.JoinFamilies(s.Families), PodCIDRs: netspec.JoinCIDRs(s.PodCIDRs),
			ServiceCIDRs: netspec.JoinCIDRs(s.ServiceCIDRs), NodeSubnets: netspec.JoinCIDRs(s.NodeSubnets),
			NodeCIDRMaskSizeIPv4: s.NodeMaskSizeIPv4, NodeCIDRMaskSizeIPv6: s.NodeMaskSizeIPv6, MaxRoutes: s.MaxRoutes})
		if err != nil {
			t.Fatalf("file %q gives %+v, which Parse refuses: %v", data, s, err)
		}
		if !equalSpec(s, again) {
			t.Fatalf("file %q gives %+v, parsed again %+v", data, s, again)
		}
	})
}
