package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The runtime executes the plugin for every pod's ADD and DEL, and every package it links
// runs its initialisation on every call. These start heavy: YAML decoders and knftables
// compile regular expressions and build tables (go.yaml.in/yaml/v2's alone took 1.75% of the
// plugin's CPU in a profile of bench/cni), and the Kubernetes libraries pull in both. The
// plugin needs none of them: the spec's rules are in internal/netspec, its file in
// internal/netspec/specfile, and anti-spoofing elements go over netlink.
var heavyAtStart = []string{
	"go.yaml.in/yaml/",
	"gopkg.in/yaml",
	"sigs.k8s.io/yaml",
	"sigs.k8s.io/knftables",
	"k8s.io/apimachinery/",
	"k8s.io/client-go/",
}

func TestThePluginLinksNothingHeavyAtStart(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed %d packages, want the plugin's: %s", len(deps), out)
	}
	for _, dep := range deps {
		for _, heavy := range heavyAtStart {
			if strings.HasPrefix(dep, heavy) {
				t.Errorf("dualnet-cni links %s (%s...); `go mod why %s` shows through what", dep, heavy, dep)
			}
		}
	}
}
