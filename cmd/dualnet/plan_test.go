package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The tests run the real command line: the test binary re-runs itself as `dualnet` when
// DUALNET_RUN_MAIN is set, so exit codes and stderr are what a user sees.
func TestMain(m *testing.M) {
	if os.Getenv("DUALNET_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func dualnet(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "DUALNET_RUN_MAIN=1")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func TestPlanShowsTheArticlesPodCIDRsAndCapacity(t *testing.T) {
	out, errOut, code := dualnet(t, "plan", "--ip-families", "ipv4,ipv6", "--nodes", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"node-0   10.244.0.0/24,fd12:3456:789a::/80",
		"node-1   10.244.1.0/24,fd12:3456:789a:0:1::/80",
		"node-2   10.244.2.0/24,fd12:3456:789a:0:2::/80",
		"Capacity: 200 nodes, bound by the route table.",
		"10.0.0.1", "fd12:3456:789a:1::1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPlanPastTheRouteTableFailsNamingTheLimit(t *testing.T) {
	_, errOut, code := dualnet(t, "plan", "--ip-families", "ipv4,ipv6", "--nodes", "201")
	if code == 0 || !strings.Contains(errOut, "route table limit allows 200 (400 routes") || !strings.Contains(errOut, "raise --max-routes") {
		t.Fatalf("exit %d, stderr %q: want a failure naming the 400-route limit", code, errOut)
	}
}

// With --max-routes 1000 the route table holds 500 dual-stack nodes, so the next limit binds:
// the default IPv4 pod CIDR, a /16, holds 256 /24s. 300 nodes need smaller node blocks.
func TestPlanWithARaisedRouteLimitIsBoundByTheIPv4Blocks(t *testing.T) {
	_, errOut, code := dualnet(t, "plan", "--ip-families", "ipv4,ipv6", "--max-routes", "1000", "--nodes", "300")
	if code == 0 || !strings.Contains(errOut, "IPv4 blocks limit allows 256") {
		t.Fatalf("exit %d, stderr %q: want the IPv4 blocks limit", code, errOut)
	}
	out, errOut, code := dualnet(t, "plan", "--ip-families", "ipv4,ipv6", "--max-routes", "1000", "--nodes", "300", "--node-cidr-mask-size-ipv4", "25")
	if code != 0 || !strings.Contains(out, "node-299 ") || !strings.Contains(out, "Capacity: 500 nodes, bound by the route table.") {
		t.Fatalf("exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
	_, errOut, code = dualnet(t, "plan", "--ip-families", "ipv4,ipv6", "--max-routes", "1000", "--nodes", "256")
	if code != 0 {
		t.Fatalf("256 nodes with --max-routes 1000: exit %d: %s", code, errOut)
	}
}

func TestPlanRejectsALargeIPv6ServiceRange(t *testing.T) {
	_, errOut, code := dualnet(t, "plan", "--ip-families", "ipv4,ipv6", "--service-cidrs", "10.0.0.0/16,fd12:3456:789a:1::/100")
	if code == 0 || !strings.Contains(errOut, "--service-cidrs") || !strings.Contains(errOut, "/108") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestPlanJSONAndYAMLCarryTheSameData(t *testing.T) {
	args := []string{"plan", "--nodes", "2", "--node-subnets", "10.240.0.0/16,2001:db8::/64"}
	jsonOut, _, code := dualnet(t, append(args, "-o", "json")...)
	if code != 0 {
		t.Fatalf("json: exit %d", code)
	}
	yamlOut, _, code := dualnet(t, append(args, "-o", "yaml")...)
	if code != 0 {
		t.Fatalf("yaml: exit %d", code)
	}
	var fromJSON, fromYAML map[string]any
	if err := json.Unmarshal([]byte(jsonOut), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(yamlOut), &fromYAML); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(fromJSON)
	b, _ := json.Marshal(fromYAML)
	if string(a) != string(b) {
		t.Errorf("json and yaml differ:\n%s\n%s", a, b)
	}
	if !strings.Contains(jsonOut, `"10.240.0.5"`) || !strings.Contains(jsonOut, `"fd12:3456:789a:0:1::/80"`) {
		t.Errorf("json lacks node-1's address or pod CIDR:\n%s", jsonOut)
	}
}

func TestPlanRejectsAnUnknownOutputFormat(t *testing.T) {
	_, errOut, code := dualnet(t, "plan", "-o", "xml")
	if code == 0 || !strings.Contains(errOut, "-o/--output") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestPlanPrintsEveryBrokenRuleOnItsOwnLine(t *testing.T) {
	_, errOut, code := dualnet(t, "plan", "--pod-cidrs", "10.244.1.0/16,fd12:3456:789a::/64", "--max-routes", "0")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code == 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "Error: --pod-cidrs") || !strings.HasPrefix(lines[1], "Error: --max-routes") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}
