package main

import (
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/testutil/trap"
)

// Every flag is checked before the agent contacts anything: with a kubeconfig whose API
// server only counts connections, a bad flag is named (and the rule it breaks), and nothing
// connected.
func TestBadFlagsAreNamedBeforeAnythingIsContacted(t *testing.T) {
	t.Setenv("NODE_NAME", "")
	api := trap.Listen(t)
	kubeconfig := api.Kubeconfig(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--routes", "bogus"}, `--routes="bogus": want one of azure, kernel, host, none`},
		{[]string{"--routes", "bogus", "--cleanup"}, `--routes="bogus": want one of azure, kernel, host, none`},
		{[]string{"--node-name", "n1", "--resync", "0s"}, "--resync=0s: want a positive duration"},
		{[]string{"--node-name", "n1", "--cni-data-dir", "data"}, `--cni-data-dir="data": want an absolute path`},
		{[]string{"--node-name", "n1", "--antispoof-sweep", "-1s"}, "--antispoof-sweep=-1s"},
		{[]string{"--node-name", "n1", "--health-addr", "10267"}, `--health-addr: "10267" is not a listen address`},
		{[]string{"--node-name", "n1", "--non-masquerade-cidrs", "10.0.0.0/33"}, `--non-masquerade-cidrs: "10.0.0.0/33" is not a CIDR`},
		{[]string{"--node-name", "n1", "--pod-cidrs", "fd00::/64,10.244.0.0/16"}, "--pod-cidrs: range 1, fd00::/64, is IPv6"},
		{[]string{}, "--node-name is empty"},
	} {
		cmd := newCommand()
		cmd.SetArgs(append([]string{"--kubeconfig", kubeconfig}, tc.args...))
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("dualnet-agent %v = %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
	if n := api.Contacts(); n != 0 {
		t.Errorf("the agent connected to the API server %d time(s) with bad flags", n)
	}
}
