package main

import (
	"strings"
	"testing"
)

func TestMistypedLabSubcommandFails(t *testing.T) {
	_, errOut, code := dualnet(t, "lab", "kubeconfig-path")
	if code == 0 || !strings.Contains(errOut, `unknown command "kubeconfig-path" for "dualnet lab"`) {
		t.Errorf("dualnet lab kubeconfig-path: exit %d, stderr %q; want a failure naming the unknown command", code, errOut)
	}
	if out, _, code := dualnet(t, "lab"); code != 0 || !strings.Contains(out, "Available Commands") {
		t.Errorf("dualnet lab: exit %d; want the help text and success", code)
	}
}

// --name is a path under --state-root and a namespace prefix: every lab command refuses one
// that lab up would refuse, before it reads or contacts anything.
func TestEveryLabCommandChecksTheNameFirst(t *testing.T) {
	for _, args := range [][]string{
		{"lab", "status", "--name", "../etc"},
		{"lab", "kubeconfig", "--name", "../etc"},
		{"lab", "down", "--name", "Bad_Name"},
		{"lab", "up", "--name", "../etc", "--routes", "host"},
		{"lab", "exec", "--name", "../etc", "default/pod", "--", "true"},
	} {
		_, errOut, code := dualnet(t, args...)
		if code == 0 || !strings.Contains(errOut, "--name: ") || !strings.Contains(errOut, "must be 1-24 lower-case letters") {
			t.Errorf("dualnet %v: exit %d, stderr %q; want a failure naming --name and its rule", args, code, errOut)
		}
	}
}

func TestLabUpRefusesAZeroProbeIntervalOrThreshold(t *testing.T) {
	for _, tc := range []struct{ flag, want string }{
		{"--lb-probe-interval=0s", "--lb-probe-interval=0s: want 100ms or more"},
		{"--lb-probe-threshold=0", "--lb-probe-threshold=0: want 1 or more"},
	} {
		_, errOut, code := dualnet(t, "lab", "up", "--name=dn-flagtest", tc.flag)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("lab up %s: exit %d, stderr %q; want a failure saying %q", tc.flag, code, errOut, tc.want)
		}
	}
}
