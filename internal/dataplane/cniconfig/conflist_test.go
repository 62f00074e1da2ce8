package cniconfig

import (
	"encoding/json"
	"testing"

	"github.com/containernetworking/cni/libcni"
)

// With Portmap, the conflist chains upstream's portmap after dualnet, asking for the
// runtime's port mappings, on nftables and without its SNAT (portmap.go says why).
func TestMarshalChainsPortmapWithNftablesAndWithoutSNAT(t *testing.T) {
	n := node1()
	n.Portmap = true
	data, err := n.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Plugins []map[string]any `json:"plugins"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Plugins) != 2 || got.Plugins[0]["type"] != "dualnet" {
		t.Fatalf("plugins %v: want dualnet, then portmap", got.Plugins)
	}
	want := `{"backend":"nftables","capabilities":{"portMappings":true},"snat":false,"type":"dualnet-portmap"}`
	if g := mustJSON(got.Plugins[1]); g != want {
		t.Errorf("portmap entry = %s\nwant %s", g, want)
	}
}

// With Bandwidth, the conflist chains upstream's bandwidth after dualnet and before portmap,
// asking for the runtime's bandwidth capability (the pod's annotations).
func TestMarshalChainsBandwidthBeforePortmapWithTheBandwidthCapability(t *testing.T) {
	n := node1()
	n.Portmap = true
	n.Bandwidth = true
	_, list := marshalList(t, n)
	var types []string
	for _, p := range list.Plugins {
		types = append(types, p.Network.Type)
	}
	if g, w := mustJSON(types), `["dualnet","dualnet-bandwidth","dualnet-portmap"]`; g != w {
		t.Fatalf("plugin types %s, want %s", g, w)
	}
	if g, w := mustJSON(list.Plugins[1].Network.Capabilities), `{"bandwidth":true}`; g != w {
		t.Errorf("bandwidth capabilities = %s, want %s", g, w)
	}
	n.Portmap = false
	if data, list := marshalList(t, n); len(list.Plugins) != 2 || list.Plugins[1].Network.Type != "dualnet-bandwidth" {
		t.Errorf("without portmap: %s; want dualnet, then dualnet-bandwidth", data)
	}
}

// A runtime on libcni 1.2 or later (this module's) takes the highest of "cniVersions" it
// implements, so it speaks 1.1.0 (GC, STATUS) to the plugins; one on an older libcni reads
// only "cniVersion", 1.0.0, the newest result version it can parse.
func TestConflistSpeaksOneOneToNewRuntimesAndOneZeroToOlderOnes(t *testing.T) {
	n := node1()
	n.Portmap = true
	data, list := marshalList(t, n)
	if list.CNIVersion != "1.1.0" {
		t.Errorf("libcni of this module reads cniVersion %s, want 1.1.0", list.CNIVersion)
	}
	var old struct {
		CNIVersion string `json:"cniVersion"`
	}
	if err := json.Unmarshal(data, &old); err != nil || old.CNIVersion != "1.0.0" {
		t.Errorf("cniVersion for runtimes before libcni 1.2 = %q (%v), want 1.0.0", old.CNIVersion, err)
	}
}

// marshalList renders the conflist and reads it as this module's libcni does.
func marshalList(t *testing.T, n Network) ([]byte, *libcni.NetworkConfigList) {
	t.Helper()
	data, err := n.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	list, err := libcni.ConfListFromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	return data, list
}
