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

func TestInstallPortmapCopiesItBesideDualnetAndNamesItsFlagWhenMissing(t *testing.T) {
	src := filepath.Join(t.TempDir(), "portmap")
	os.WriteFile(src, []byte("#!/bin/sh\n"), 0o700)
	dir := t.TempDir()
	if wrote, err := InstallPortmap(src, dir); err != nil || !wrote {
		t.Fatalf("InstallPortmap = %v, %v", wrote, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "dualnet-portmap")); err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("installed portmap: %v, %v; want dualnet-portmap, mode 0755", st, err)
	}
	if !PortmapInstalled(dir) {
		t.Error("PortmapInstalled = false after InstallPortmap")
	}
	if wrote, err := InstallPortmap(src, dir); err != nil || wrote {
		t.Errorf("second InstallPortmap = %v, %v; want left alone", wrote, err)
	}
	// The node's own portmap, for its other networks, is not dualnet's.
	nodes := []byte("the node's portmap\n")
	if err := os.WriteFile(filepath.Join(dir, "portmap"), nodes, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := RemoveConfig(t.TempDir(), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dualnet-portmap")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RemoveConfig left dualnet's portmap: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "portmap")); err != nil || !bytes.Equal(got, nodes) {
		t.Errorf("the node's own portmap after InstallPortmap and RemoveConfig: %q, %v", got, err)
	}
	missing := filepath.Join(t.TempDir(), "portmap")
	_, err := InstallPortmap(missing, dir)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "--cni-portmap-plugin "+missing) {
		t.Errorf("InstallPortmap of a missing file: %v; want fs.ErrNotExist naming --cni-portmap-plugin and the path", err)
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
