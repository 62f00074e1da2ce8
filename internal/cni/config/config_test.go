package config

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/dualnet/dualnet/internal/cnicontract"
)

const validConfig = `{"cniVersion":"1.1.0","name":"dualnet","type":"dualnet","bridge":"cbr0",
 "podCIDRs":["10.244.1.0/24","fd12:3456:789a:0:1::/80"],"mtu":1450,"hairpinMode":false,"dataDir":"/var/lib/x"}`

func TestParseReadsEveryField(t *testing.T) {
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
	if c.Bridge != cnicontract.DefaultBridge || c.MTU != cnicontract.DefaultMTU || !c.Hairpin || c.DataDir != cnicontract.DefaultDataDir {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestParseRejectsBadConfigNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		name, conf, field string
		code              uint
	}{
		{"not json", `{`, "not valid JSON", types.ErrDecodingFailure},
		{"not an object", `[]`, "network config", types.ErrDecodingFailure},
		{"unknown version", `{"cniVersion":"9.9.9","name":"n"}`, "cniVersion", types.ErrIncompatibleCNIVersion},
		{"missing version", `{"name":"n"}`, "cniVersion", types.ErrIncompatibleCNIVersion},
		{"missing name", `{"cniVersion":"1.1.0"}`, "name", types.ErrInvalidNetworkConfig},
		{"name with a slash", `{"cniVersion":"1.1.0","name":"a/b"}`, `name: "a/b"`, types.ErrInvalidNetworkConfig},
		{"name too long", `{"cniVersion":"1.1.0","name":"` + strings.Repeat("n", 256) + `"}`, "name: 256 bytes", types.ErrInvalidNetworkConfig},
		{"unknown key", `{"cniVersion":"1.1.0","name":"n","podCIDR":["10.244.1.0/24"]}`, `podCIDR: ["10.244.1.0/24"]: not a field of the dualnet plugin: did you mean podCIDRs?`, types.ErrUnsupportedField},
		{"key in another case", `{"cniVersion":"1.1.0","name":"n","MTU":1500}`, "MTU: 1500: not a field of the dualnet plugin: did you mean mtu?", types.ErrUnsupportedField},
		{"ipam section", `{"cniVersion":"1.1.0","name":"n","ipam":{"type":"host-local"}}`, "ipam: {\"type\":\"host-local\"}: not a field of the dualnet plugin: dualnet's fields are bridge, podCIDRs", types.ErrUnsupportedField},
		{"key twice", `{"cniVersion":"1.1.0","name":"n","mtu":1500,"mtu":9000}`, "mtu: given twice", types.ErrInvalidNetworkConfig},
		{"mtu as a string", `{"cniVersion":"1.1.0","name":"n","mtu":"1500"}`, `mtu: "1500" is not a whole number`, types.ErrDecodingFailure},
		{"podCIDRs as a string", `{"cniVersion":"1.1.0","name":"n","podCIDRs":"10.244.1.0/24"}`, `podCIDRs: "10.244.1.0/24" is not a list of strings`, types.ErrDecodingFailure},
		{"malformed cidr", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["10.244.1.0/33"]}`, "podCIDRs", types.ErrInvalidNetworkConfig},
		{"host bits", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["10.244.1.5/24"]}`, "podCIDRs: 10.244.1.5/24 has host bits set: did you mean 10.244.1.0/24?", types.ErrInvalidNetworkConfig},
		{"two ipv4", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["10.244.1.0/24","10.244.2.0/24"]}`, "both IPv4", types.ErrInvalidNetworkConfig},
		{"two ipv6", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["fd00::/80","fd01::/80"]}`, "both IPv6", types.ErrInvalidNetworkConfig},
		{"ipv6 first", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["fd00::/80","10.244.1.0/24"]}`, "podCIDRs: the IPv6 range fd00::/80 comes before the IPv4 range 10.244.1.0/24", types.ErrInvalidNetworkConfig},
		{"ipv6 only", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["fd00::/80"]}`, "podCIDRs: fd00::/80 alone: IPv6-only", types.ErrInvalidNetworkConfig},
		{"three ranges", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["10.0.0.0/24","fd00::/80","10.1.0.0/24"]}`, "at most one per family", types.ErrInvalidNetworkConfig},
		{"tiny ipv4", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["10.244.1.0/31"]}`, "/30", types.ErrInvalidNetworkConfig},
		{"mtu", `{"cniVersion":"1.1.0","name":"n","podCIDRs":["10.244.1.0/24","fd00::/80"],"mtu":1000}`, "mtu: 1000 is outside 1280..65535", types.ErrInvalidNetworkConfig},
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

// What libcni and containerd put into a plugin's config besides dualnet's fields.
func TestParseAcceptsWhatRuntimesAddToTheConfig(t *testing.T) {
	conf := `{"cniVersion":"1.1.0","cniVersions":["1.0.0","1.1.0"],"name":"dualnet","type":"dualnet",
	 "podCIDRs":["10.244.1.0/24","fd12:3456:789a:0:1::/80"],
	 "capabilities":{"portMappings":true},"runtimeConfig":{"portMappings":[]},"args":{"cni":{"ips":[]}},
	 "prevResult":{"cniVersion":"1.1.0","interfaces":[],"ips":[]},
	 "cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}],"cni.dev/attachments":[{"containerID":"c1","ifname":"eth0"}]}`
	c, err := Parse([]byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ValidAttachments) != 1 || c.ValidAttachments[0].ContainerID != "c1" || c.RawPrevResult == nil {
		t.Errorf("parsed %+v", c)
	}
}

// GC's list under the key the CNI spec first gave it counts when the current key is absent:
// read as no list, it would make every pod on the node garbage.
func TestParseTakesGCsListUnderTheLegacyKeyWhenAlone(t *testing.T) {
	const head = `{"cniVersion":"1.1.0","name":"dualnet","type":"dualnet","podCIDRs":["10.244.1.0/24"]`
	for _, tc := range []struct {
		name, fields string
		want         []string // container IDs
	}{
		{"legacy key alone", `,"cni.dev/attachments":[{"containerID":"old","ifname":"eth0"}]`, []string{"old"}},
		{"both keys: the current one wins", `,"cni.dev/attachments":[{"containerID":"old","ifname":"eth0"}],"cni.dev/valid-attachments":[]`, nil},
		{"neither", ``, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(head + tc.fields + "}"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range c.ValidAttachments {
				got = append(got, a.ContainerID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("valid attachments %v, want %v", got, tc.want)
			}
		})
	}
	_, err := Parse([]byte(head + `,"cni.dev/attachments":"c1"}`))
	var cniErr *types.Error
	if !errors.As(err, &cniErr) || !strings.Contains(cniErr.Msg, "cni.dev/attachments") {
		t.Errorf("a legacy list that is no list: %v, want a CNI error naming the key", err)
	}
}

// DEL needs only where the store is: the rest may have changed since the ADD.
func TestParseForDelReadsOnlyWhereTheStoreIs(t *testing.T) {
	c, err := ParseForDel([]byte(`{"cniVersion":"1.0.0","name":"dualnet","dataDir":"/var/lib/x","podCIDRs":["fd00::/80"],
	 "mtu":"x","podCIDR":1,"bridge":"a/b","dataDir":"/var/lib/y"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.StoreDir() != "/var/lib/y/dualnet" || c.PodCIDRs != nil {
		t.Errorf("ParseForDel = store %s, podCIDRs %v; want the last dataDir's store and no ranges", c.StoreDir(), c.PodCIDRs)
	}
	for _, bad := range []struct{ conf, says string }{
		{`{"cniVersion":"1.0.0","name":"dualnet","dataDir":"x"}`, "dataDir"},
		{`{"cniVersion":"1.0.0","name":"dualnet","dataDir":5}`, "dataDir"},
		{`{"cniVersion":"1.0.0","name":"a/b"}`, "name"},
		{`{"cniVersion":"0.1.0","name":"dualnet"}`, "cniVersion"},
		{`{"cniVersion":"1.0.0",`, "JSON"},
	} {
		if _, err := ParseForDel([]byte(bad.conf)); err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("ParseForDel(%s) = %v, want an error naming %s", bad.conf, err, bad.says)
		}
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
	f.Add([]byte(`{"cniVersion":"1.0.0","name":"n","podCIDRs":["fd00::/80","10.0.0.0/24"],"podCIDR":[],"mtu":1280,"mtu":1}`))
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
			if p.Masked() != p || p.Addr().Is4() != (i == 0) {
				t.Fatalf("Parse returned bad ranges %v", c.PodCIDRs)
			}
		}
	})
}
