package config

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
)

const validConfig = `{"cniVersion":"1.1.0","name":"dualnet","type":"dualnet","bridge":"cbr0",
 "podCIDRs":["fd12:3456:789a:0:1::/80","10.244.1.0/24"],"mtu":1450,"hairpinMode":false,"dataDir":"/var/lib/x"}`

func TestParseReadsEveryFieldAndOrdersIPv4First(t *testing.T) {
	c, err := Parse([]byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24"), netip.MustParsePrefix("fd12:3456:789a:0:1::/80")}
	if len(c.PodCIDRs) != 2 || c.PodCIDRs[0] != want[0] || c.PodCIDRs[1] != want[1] {
		t.Errorf("PodCIDRs = %v, want %v", c.PodCIDRs, want)
	}
	if c.Bridge != "cbr0" || c.MTU != 1450 || c.Hairpin || c.DataDir != "/var/lib/x" || c.StoreDir() != "/var/lib/x/dualnet" {
		t.Errorf("parsed %+v", c)
	}
}

func TestParseAppliesDefaults(t *testing.T) {
	c, err := Parse([]byte(`{"cniVersion":"0.4.0","name":"n","type":"dualnet","podCIDRs":["10.244.1.0/24"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Bridge != DefaultBridge || c.MTU != DefaultMTU || !c.Hairpin || c.DataDir != DefaultDataDir {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestParseRejectsBadConfigNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		name, conf, field string
		code              uint
	}{
		{"not json", `{`, "not valid JSON", types.ErrDecodingFailure},
		{"unknown version", `{"cniVersion":"9.9.9","name":"n"}`, "cniVersion", types.ErrIncompatibleCNIVersion},
		{"missing version", `{"name":"n"}`, "cniVersion", types.ErrIncompatibleCNIVersion},
		{"missing name", `{"cniVersion":"1.1.0"}`, "name", types.ErrInvalidNetworkConfig},
		{"malformed cidr", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["10.244.1.0/33"]}`, "podCIDRs", types.ErrInvalidNetworkConfig},
		{"host bits", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["10.244.1.5/24"]}`, "host bits", types.ErrInvalidNetworkConfig},
		{"two ipv4", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["10.244.1.0/24","10.244.2.0/24"]}`, "both IPv4", types.ErrInvalidNetworkConfig},
		{"two ipv6", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["fd00::/80","fd01::/80"]}`, "both IPv6", types.ErrInvalidNetworkConfig},
		{"three ranges", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["10.0.0.0/24","fd00::/80","10.1.0.0/24"]}`, "at most one", types.ErrInvalidNetworkConfig},
		{"tiny ipv4", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["10.244.1.0/31"]}`, "/30", types.ErrInvalidNetworkConfig},
		{"mtu", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["fd00::/80"],"mtu":1000}`, "mtu", types.ErrInvalidNetworkConfig},
		{"bridge name", `{"cniVersion":"1.1.0","name":"n","bridge":"a/b"}`, "bridge", types.ErrInvalidNetworkConfig},
		{"relative dataDir", `{"cniVersion":"1.1.0","name":"n","dataDir":"x"}`, "dataDir", types.ErrInvalidNetworkConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.conf))
			var cniErr *types.Error
			if !errors.As(err, &cniErr) {
				t.Fatalf("Parse(%s) = %v, want a CNI error", tc.conf, err)
			}
			if cniErr.Code != tc.code || !strings.Contains(cniErr.Msg, tc.field) {
				t.Errorf("Parse(%s) = code %d %q, want code %d naming %q", tc.conf, cniErr.Code, cniErr.Msg, tc.code, tc.field)
			}
		})
	}
}

func TestRequireRangesFailsWithoutPodCIDRs(t *testing.T) {
	c, err := Parse([]byte(`{"cniVersion":"1.1.0","name":"n"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RequireRanges(); err == nil || !strings.Contains(err.Error(), "podCIDRs") {
		t.Errorf("RequireRanges() = %v, want an error naming podCIDRs", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(validConfig))
	f.Add([]byte(`{"cniVersion":"0.4.0","name":"n","podCIDRs":["10.0.0.0/30","::/126"],"mtu":1280}`))
	f.Add([]byte(`{"cniVersion":"1.1.0","name":"n","podCIDRs":["::ffff:10.0.0.0/120"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			var cniErr *types.Error
			if !errors.As(err, &cniErr) || cniErr.Msg == "" {
				t.Fatalf("Parse returned %v, want a CNI error with a message", err)
			}
			return
		}
		if len(c.PodCIDRs) > 2 || c.Name == "" || c.MTU < 68 {
			t.Fatalf("Parse accepted an invalid config: %+v", c)
		}
		for i, p := range c.PodCIDRs {
			if p.Masked() != p || (i == 1 && !p.Addr().Is6()) {
				t.Fatalf("Parse returned bad ranges %v", c.PodCIDRs)
			}
		}
	})
}
