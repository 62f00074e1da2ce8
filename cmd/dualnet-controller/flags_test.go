package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/testutil/trap"
)

func TestBadFlagsExitNonZeroWithTheSpecsError(t *testing.T) {
	tests := []struct {
		name string
		args []string
		in   func(*netspec.Input) // the same mistake given to netspec, for its error text
		want string               // or the error text itself, for flags outside the spec
	}{
		{name: "IPv6 service CIDR larger than /108",
			args: []string{"--service-cidrs", "10.0.0.0/16,fd12:3456:789a:1::/100"},
			in:   func(in *netspec.Input) { in.ServiceCIDRs = "10.0.0.0/16,fd12:3456:789a:1::/100" }},
		{name: "IPv6-only",
			args: []string{"--ip-families", "ipv6"},
			in:   func(in *netspec.Input) { in.IPFamilies = "ipv6" }},
		{name: "one pod CIDR for two families",
			args: []string{"--pod-cidrs", "10.244.0.0/16"},
			in:   func(in *netspec.Input) { in.PodCIDRs = "10.244.0.0/16" }},
		{name: "route table too small for one node",
			args: []string{"--max-routes", "1"},
			in:   func(in *netspec.Input) { in.MaxRoutes = 1 }},
		{name: "unknown IPAM mode",
			args: []string{"--ipam", "calico"},
			want: `--ipam: "calico" is not an IPAM mode: use dualnet or kubernetes`},
		{name: "renew deadline not shorter than the lease",
			args: []string{"--leader-elect-lease-duration", "5s", "--leader-elect-renew-deadline", "5s"},
			want: "--leader-elect-lease-duration: 5s must be longer than --leader-elect-renew-deadline 5s"},
		{name: "no API queries allowed",
			args: []string{"--kube-api-qps", "0"},
			want: "--kube-api-qps: 0 must be positive"},
		{name: "no API burst",
			args: []string{"--kube-api-burst", "0"},
			want: "--kube-api-burst: 0 must be at least 1"},
		{name: "health address without a port",
			args: []string{"--health-addr", "10265"},
			want: `--health-addr: "10265" is not a listen address`},
		{name: "ARM endpoint not a URL",
			args: []string{"--routes=azure", "--azure-subscription-id=s", "--azure-resource-group=g", "--azure-route-table=rt", "--azure-endpoint", "127.0.0.1:8443"},
			want: `--azure-endpoint: "127.0.0.1:8443" is not an http(s) URL`},
		{name: "CA file without a certificate",
			args: []string{"--routes=azure", "--azure-subscription-id=s", "--azure-resource-group=g", "--azure-route-table=rt", "--azure-ca-file", "/dev/null"},
			want: "--azure-ca-file /dev/null: no PEM certificate in it"},
	}
	// The API server and the ARM endpoint only count connections: a bad flag must be named
	// before either is contacted.
	trapped := trap.Listen(t)
	kubeconfig := trapped.Kubeconfig(t)
	defer func() {
		if n := trapped.Contacts(); n != 0 {
			t.Errorf("the controller connected %d time(s) with bad flags", n)
		}
	}()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if tt.in != nil {
				in := netspec.DefaultInput()
				tt.in(&in)
				_, err := netspec.Parse(in)
				if err == nil {
					t.Fatalf("netspec accepts %+v", in)
				}
				want = err.Error()
			}
			args := append([]string{"--kubeconfig", kubeconfig}, tt.args...)
			if slices.Contains(tt.args, "--routes=azure") && !slices.Contains(tt.args, "--azure-endpoint") {
				args = append(args, "--azure-endpoint", trapped.URL())
			}
			code, out := runToExit(t, args...)
			if code == 0 {
				t.Fatalf("exit code 0 for %v; output:\n%s", tt.args, out)
			}
			if !strings.Contains(out, want) {
				t.Errorf("output of %v:\n%s\ndoes not contain the error:\n%s", tt.args, out, want)
			}
		})
	}
}
