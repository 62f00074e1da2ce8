package cniconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func node1() Network {
	return Network{
		Bridge:   "cbr0",
		PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24"), netip.MustParsePrefix("fd12:3456:789a:0:1::/80")},
		MTU:      1500,
		DataDir:  "/var/lib/dualnet/cni",
	}
}

func TestWriteConfigWritesTheDesignShapeOnce(t *testing.T) {
	dir := t.TempDir()
	wrote, err := WriteConfig(dir, node1())
	if err != nil || !wrote {
		t.Fatalf("WriteConfig = %v, %v; want written", wrote, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "10-dualnet.conflist"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	json.Unmarshal([]byte(`{"cniVersion":"1.0.0","cniVersions":["1.0.0","1.1.0"],"name":"dualnet","plugins":[{"type":"dualnet","bridge":"cbr0",
	  "podCIDRs":["10.244.1.0/24","fd12:3456:789a:0:1::/80"],"mtu":1500,"hairpinMode":true,"dataDir":"/var/lib/dualnet/cni"}]}`), &want)
	if g, w := mustJSON(got), mustJSON(want); g != w {
		t.Errorf("conflist = %s\nwant %s", g, w)
	}
	if wrote, err := WriteConfig(dir, node1()); err != nil || wrote {
		t.Errorf("second WriteConfig = %v, %v; want left alone", wrote, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only the conflist (no temp files left)", len(entries))
	}
}

func TestInstallPluginCopiesAnExecutableOnce(t *testing.T) {
	src := filepath.Join(t.TempDir(), "dualnet-cni")
	os.WriteFile(src, []byte("#!/bin/sh\n"), 0o700)
	dir := t.TempDir()
	if wrote, err := InstallPlugin(src, dir); err != nil || !wrote {
		t.Fatalf("InstallPlugin = %v, %v", wrote, err)
	}
	st, err := os.Stat(filepath.Join(dir, "dualnet"))
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("installed plugin: %v, %v; want mode 0755", st, err)
	}
	if wrote, err := InstallPlugin(src, dir); err != nil || wrote {
		t.Errorf("second InstallPlugin = %v, %v; want left alone", wrote, err)
	}
	if err := RemoveConfig(t.TempDir(), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dualnet")); !os.IsNotExist(err) {
		t.Errorf("plugin left after RemoveConfig: %v", err)
	}
}

// Each chained plugin lands beside dualnet under dualnet's name for it, and a missing source
// names its own flag; RemoveConfig removes dualnet's copies and never the node's own plugins
// of upstream's names.
func TestChainedPluginsInstallBesideDualnetAndNameTheirFlagWhenMissing(t *testing.T) {
	for _, c := range []struct {
		plugin   Chained
		file     string
		flag     string
		upstream string
	}{
		{Portmap, "dualnet-portmap", "--cni-portmap-plugin", "portmap"},
		{Bandwidth, "dualnet-bandwidth", "--cni-bandwidth-plugin", "bandwidth"},
	} {
		t.Run(c.upstream, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), c.upstream)
			os.WriteFile(src, []byte("#!/bin/sh\n"), 0o700)
			dir := t.TempDir()
			if wrote, err := c.plugin.Install(src, dir); err != nil || !wrote {
				t.Fatalf("Install = %v, %v", wrote, err)
			}
			if st, err := os.Stat(filepath.Join(dir, c.file)); err != nil || st.Mode().Perm() != 0o755 {
				t.Fatalf("installed %s: %v, %v; want %s, mode 0755", c.upstream, st, err, c.file)
			}
			if !c.plugin.Installed(dir) {
				t.Error("Installed = false after Install")
			}
			if wrote, err := c.plugin.Install(src, dir); err != nil || wrote {
				t.Errorf("second Install = %v, %v; want left alone", wrote, err)
			}
			// The node's own plugin, for its other networks, is not dualnet's.
			nodes := []byte("the node's plugin\n")
			if err := os.WriteFile(filepath.Join(dir, c.upstream), nodes, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := RemoveConfig(t.TempDir(), dir); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, c.file)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("RemoveConfig left %s: %v", c.file, err)
			}
			if got, err := os.ReadFile(filepath.Join(dir, c.upstream)); err != nil || !bytes.Equal(got, nodes) {
				t.Errorf("the node's own %s after Install and RemoveConfig: %q, %v", c.upstream, got, err)
			}
			missing := filepath.Join(t.TempDir(), c.upstream)
			_, err := c.plugin.Install(missing, dir)
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), c.flag+" "+missing) {
				t.Errorf("Install of a missing file: %v; want fs.ErrNotExist naming %s and the path", err, c.flag)
			}
		})
	}
}

func TestMarshalNamesTheMissingPodCIDRs(t *testing.T) {
	if _, err := (Network{Bridge: "cbr0"}).Marshal(); err == nil {
		t.Fatal("Marshal accepted a network without pod CIDRs")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
