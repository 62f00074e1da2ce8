package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeNetworkSpec(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "network.yaml")
	if err := os.WriteFile(path, []byte("apiVersion: dualnet.io/v1alpha1\nkind: NetworkSpec\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A spec from --config plans exactly as the same spec from the flags.
func TestPlanWithAConfigFileMatchesTheSameFlags(t *testing.T) {
	path := writeNetworkSpec(t, "ipFamilies: [ipv4, ipv6]\nmaxRoutes: 1000\nnodeCIDRMaskSizeIPv4: 25\nnodeSubnets: [10.240.0.0/16, 2001:db8::/64]\n")
	fromFile, errOut, code := dualnet(t, "plan", "--config", path, "--nodes", "300", "-o", "json")
	if code != 0 {
		t.Fatalf("--config: exit %d: %s", code, errOut)
	}
	fromFlags, errOut, code := dualnet(t, "plan", "--ip-families", "ipv4,ipv6", "--max-routes", "1000",
		"--node-cidr-mask-size-ipv4", "25", "--node-subnets", "10.240.0.0/16,2001:db8::/64", "--nodes", "300", "-o", "json")
	if code != 0 {
		t.Fatalf("flags: exit %d: %s", code, errOut)
	}
	if fromFile != fromFlags {
		t.Errorf("--config and the flags plan differently:\n%s\n%s", fromFile, fromFlags)
	}
}

// Past a limit, --config's user is told what to change in the file, not a flag.
func TestPlanWithAConfigFileNamesItsFieldsInTheFix(t *testing.T) {
	path := writeNetworkSpec(t, "maxRoutes: 7\n")
	out, errOut, code := dualnet(t, "plan", "--config", path)
	if code != 0 || !strings.Contains(out, "route table   3       7 routes, 2 route(s) per node") {
		t.Fatalf("exit %d, stderr %q, want the route table to bind at 3 nodes:\n%s", code, errOut, out)
	}
	_, errOut, code = dualnet(t, "plan", "--config", path, "--nodes", "4")
	want := "Error: --nodes: 4 nodes do not fit: the route table limit allows 3 (7 routes, 2 route(s) per node): in " + path +
		", raise maxRoutes if your route table allows more routes (Azure allows 1000 per table today)"
	if code == 0 || strings.TrimSpace(errOut) != want {
		t.Fatalf("exit %d, stderr %q, want %q", code, errOut, want)
	}
}

func TestPlanRefusesASpecFlagBesideConfig(t *testing.T) {
	path := writeNetworkSpec(t, "")
	_, errOut, code := dualnet(t, "plan", "--config", path, "--service-cidrs", "10.0.0.0/16,fd12:3456:789a:1::/108")
	want := "Error: --service-cidrs: cannot be combined with --config: the spec comes from one place; put serviceCIDRs in " + path
	if code == 0 || strings.TrimSpace(errOut) != want {
		t.Fatalf("exit %d, stderr %q, want %q", code, errOut, want)
	}
}

func TestPlanWithABrokenConfigFileNamesTheFileAndEveryField(t *testing.T) {
	path := writeNetworkSpec(t, "serviceCIDRs: [10.0.0.0/16, fd12:3456:789a:1::/100]\nnodeSubnets: [10.244.0.0/24, 2001:db8::/64]\n")
	_, errOut, code := dualnet(t, "plan", "--config", path)
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code == 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "Error: "+path+": nodeSubnets: ") ||
		!strings.HasPrefix(lines[1], "Error: "+path+": serviceCIDRs: fd12:3456:789a:1::/100 is larger than /108") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	_, errOut, code = dualnet(t, "plan", "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	if code == 0 || !strings.Contains(errOut, "--config: cannot read ") || !strings.Contains(errOut, "missing.yaml: no such file or directory") {
		t.Fatalf("missing file: exit %d, stderr %q", code, errOut)
	}
}
