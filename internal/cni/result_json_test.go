package cni

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"

	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/podipam"
)

// TestPrintResultIsTheLibrarys holds printResult to what types.PrintResult writes for the
// same result, for every spec version the plugin speaks, single and dual stack: the same
// JSON document, whatever the spacing.
func TestPrintResultIsTheLibrarys(t *testing.T) {
	for _, stack := range [][]string{{"10.244.1.0/24"}, {"10.244.1.0/24", "fd12:3456:789a:0:1::/80"}, {"fd12:3456:789a:0:1::/80"}} {
		for _, version := range config.SupportedVersions {
			compareWithLibrary(t, sampleResult(stack, "eth0", "/var/run/netns/cni-1234"), version)
		}
	}
}

// FuzzPrintResult: any interface name and namespace path (runtimes pass CNI_NETNS through;
// it may hold quotes, control characters, invalid UTF-8) print as the library prints them.
func FuzzPrintResult(f *testing.F) {
	f.Add("eth0", "/var/run/netns/cni-1234")
	f.Add(`e"t\h`, "/run/netns/\x00\x1f\x7f<&>\u2028\xff\xfe")
	f.Add("net1", "/proc/1/ns/net ünïcødé")
	f.Fuzz(func(t *testing.T, ifName, netns string) {
		for _, version := range config.SupportedVersions {
			compareWithLibrary(t, sampleResult([]string{"10.244.1.0/24", "fd12:3456:789a:0:1::/80"}, ifName, netns), version)
		}
	})
}

// sampleResult is the result ADD builds for a pod with the third address of each CIDR.
func sampleResult(cidrs []string, ifName, netns string) *current.Result {
	conf := &config.Config{Bridge: "cbr0"}
	a := &attachment{key: podipam.Key{ContainerID: "c1", IfName: "eth0"}, hostVeth: "dn1234567890ab"}
	for _, c := range cidrs {
		p := netip.MustParsePrefix(c)
		conf.PodCIDRs = append(conf.PodCIDRs, p)
		a.cidrs = append(a.cidrs, p)
		a.addrs = append(a.addrs, p.Addr().Next().Next().Next())
	}
	return a.result(conf, "02:00:0a:f4:01:01", ifName, netns, bridge.Gateways(conf.PodCIDRs))
}

// compareWithLibrary fails t unless printResult writes, for version, valid JSON that decodes
// to what the library's result printer writes.
func compareWithLibrary(t *testing.T, r *current.Result, version string) {
	t.Helper()
	var ours, theirs bytes.Buffer
	if err := printResult(&ours, r, version); err != nil {
		t.Fatalf("printResult %s: %v", version, err)
	}
	converted, err := r.GetAsVersion(version)
	if err != nil {
		t.Fatalf("the library converting to %s: %v", version, err)
	}
	if err := converted.PrintTo(&theirs); err != nil {
		t.Fatalf("the library printing %s: %v", version, err)
	}
	var got, want any
	if err := json.Unmarshal(ours.Bytes(), &got); err != nil {
		t.Fatalf("printResult %s wrote invalid JSON: %v\n%s", version, err, ours.Bytes())
	}
	if err := json.Unmarshal(theirs.Bytes(), &want); err != nil {
		t.Fatalf("the library's %s result: %v", version, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("version %s: printResult wrote\n%s\nthe library writes\n%s", version, ours.Bytes(), theirs.Bytes())
	}
}
