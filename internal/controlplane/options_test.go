package controlplane

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/netspec"
)

func TestStartWithoutBinariesNamesTheMakeTarget(t *testing.T) {
	dir := t.TempDir()
	_, err := Start(context.Background(), Options{BinDir: dir})
	if err == nil || !strings.Contains(err.Error(), "make kube-bins") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Start with empty BinDir: error %v, want one naming %s and `make kube-bins`", err, dir)
	}
}

func TestBinDirFollowsTheEnvironment(t *testing.T) {
	t.Setenv(BinDirEnv, "/opt/kube")
	if got := BinDir(); got != "/opt/kube" {
		t.Errorf("BinDir() with %s=/opt/kube = %s", BinDirEnv, got)
	}
	t.Setenv(BinDirEnv, "")
	if got := BinDir(); got != "/var/cache/dualnet/kube/"+KubeVersion {
		t.Errorf("BinDir() without %s = %s, want the make kube-bins cache", BinDirEnv, got)
	}
}

func TestOptionsRejectServiceCIDRsThatKubeAPIServerWould(t *testing.T) {
	for name, cidrs := range map[string][]string{
		"two of one family": {"10.0.0.0/16", "10.1.0.0/16"},
		"host bits set":     {"10.0.0.1/16"},
		"three CIDRs":       {"10.0.0.0/16", "fd00::/108", "10.1.0.0/16"},
	} {
		t.Run(name, func(t *testing.T) {
			var prefixes []netip.Prefix
			for _, c := range cidrs {
				prefixes = append(prefixes, netip.MustParsePrefix(c))
			}
			if _, err := (Options{ServiceCIDRs: prefixes}).withDefaults(); err == nil {
				t.Errorf("ServiceCIDRs %v accepted", cidrs)
			}
		})
	}
}

func TestDefaultsAreDualStackOnLoopback(t *testing.T) {
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.BindAddress != netip.MustParseAddr("127.0.0.1") || netspec.JoinCIDRs(o.ServiceCIDRs) != "10.0.0.0/16,fd12:3456:789a:1::/108" {
		t.Errorf("defaults: bind %s, service CIDRs %v", o.BindAddress, o.ServiceCIDRs)
	}
	if _, ok := o.advertiseAddress(); ok {
		t.Errorf("loopback bind address must not be advertised as the kubernetes endpoint")
	}
}
