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
