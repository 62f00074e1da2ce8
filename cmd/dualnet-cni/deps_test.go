package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// The runtime executes the plugin for every pod's ADD and DEL, and every package it links
// runs its initialisation on every call. These start heavy: YAML decoders and knftables
// compile regular expressions and build tables (the YAML packages together took 1.75% of
// the plugin's CPU in a profile of bench/cni), and the Kubernetes libraries bring YAML
// decoders, protobuf and klog. The plugin needs none of them: the spec's rules are in
// internal/netspec, its file in internal/netspec/specfile, anti-spoofing elements go over
// netlink, and the CNI spec's name rules are written out (internal/cni/config/names.go):
// containernetworking/cni's skel links pkg/utils, which compiles one at initialisation,
// and the regexp package's first compile builds its Unicode tables.
var heavyAtStart = []string{
	"regexp",
	"github.com/containernetworking/cni/pkg/skel",
	"github.com/containernetworking/cni/pkg/utils",
	"go.yaml.in/yaml/",
	"gopkg.in/yaml",
	"sigs.k8s.io/yaml",
	"sigs.k8s.io/knftables",
	"k8s.io/apimachinery/",
	"k8s.io/api/",
	"k8s.io/client-go/",
	"k8s.io/klog",
	"google.golang.org/protobuf/",
}

func TestThePluginLinksNothingHeavyAtStart(t *testing.T) {
	// Each package the plugin links, with its imports; the plugin's own comes last.
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", ".").Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("go list -deps: %v\n%s", err, exit.Stderr)
		}
		t.Fatalf("go list -deps: %v", err)
	}
	imports := map[string][]string{}
	var root string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		root = fields[0]
		imports[root] = fields[1:]
	}
	if len(imports) < 10 {
		t.Fatalf("go list -deps listed %d packages, want the plugin's:\n%s", len(imports), out)
	}
	for _, heavy := range heavyAtStart {
		if chain := importChain(imports, root, heavy); chain != nil {
			t.Errorf("dualnet-cni links %s: %s", chain[len(chain)-1], strings.Join(chain, " -> "))
		}
	}
}

// importChain is the shortest chain of imports from root to a package whose path starts
// with prefix, nil when root links none.
func importChain(imports map[string][]string, root, prefix string) []string {
	from := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		pkg := queue[0]
		queue = queue[1:]
		if strings.HasPrefix(pkg, prefix) {
			var chain []string
			for p := pkg; p != ""; p = from[p] {
				chain = append([]string{p}, chain...)
			}
			return chain
		}
		for _, next := range imports[pkg] {
			if _, seen := from[next]; !seen {
				from[next] = pkg
				queue = append(queue, next)
			}
		}
	}
	return nil
}
