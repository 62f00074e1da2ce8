package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dualnet/dualnet/internal/armemu/armemutest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// TestRoutesAzureProgramsTheTableOfNodesTheControllerGaveCIDRs runs the binary as the lab
// does: node IPAM assigns pod CIDRs, the route controller writes them to a local ARM endpoint
// (armemu) and removes a deleted node's routes.
func TestRoutesAzureProgramsTheTableOfNodesTheControllerGaveCIDRs(t *testing.T) {
	srv := armemutest.Start(t, "s", "g", "rt")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, append(fastLease, "--routes=azure", "--azure-endpoint", srv.URL(), "--azure-ca-file", ca,
		"--azure-credential=none", "--azure-subscription-id=s", "--azure-resource-group=g", "--azure-route-table=rt")...)

	client := kubetest.Client()
	ctx := context.Background()
	var names []string
	for i := range 2 {
		name := fmt.Sprintf("routes-bin-%d-%d", os.Getpid(), i)
		names = append(names, name)
		t.Cleanup(func() {
			if err := client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Error(err)
			}
		})
		node := kubetest.Node(name, nil, fmt.Sprintf("10.240.0.%d", 40+i), fmt.Sprintf("fd00::%d", 40+i))
		if _, err := kubetest.CreateNode(ctx, client, node); err != nil {
			t.Fatal(err)
		}
	}
	routesOf := func() map[string]string {
		tbl, _ := srv.RouteTable("s", "g", "rt")
		out := map[string]string{}
		for _, r := range tbl.Routes {
			if n, _, ok := strings.Cut(r.Name, "____"); ok {
				out[r.Name] = n + " " + r.AddressPrefix + " via " + r.NextHopIPAddress
			}
		}
		return out
	}
	poll.Eventually(t, 30*time.Second, "4 routes of 2 nodes", func() error { return poll.Met(len(routesOf()) == 4, fmt.Sprint(routesOf())) })
	for _, r := range routesOf() {
		if !strings.Contains(r, " via 10.240.0.4") && !strings.Contains(r, " via fd00::4") {
			t.Errorf("route %q does not go to its node's InternalIP", r)
		}
	}
	if err := client.CoreV1().Nodes().Delete(ctx, names[1], metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	poll.Eventually(t, 30*time.Second, "the deleted node's routes removed", func() error { return poll.Met(len(routesOf()) == 2, fmt.Sprint(routesOf())) })
	poll.Eventually(t, 10*time.Second, "dualnet_routes_table_routes 2 on /metrics", func() error {
		v, ok := p.metric("dualnet_routes_table_routes")
		return poll.Met(ok && v == 2, fmt.Sprintf("%v (present: %v)", v, ok))
	})
	if p.get("/readyz") != 200 {
		t.Errorf("/readyz = %d with the route controller running", p.get("/readyz"))
	}
}

func TestRoutesFlagsAreCheckedBeforeConnecting(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--routes=gcp"}, `--routes="gcp": want one of azure, kernel, host, none`},
		{[]string{"--routes=azure", "--azure-resource-group=g", "--azure-route-table=rt"}, "--azure-subscription-id is required with --routes=azure"},
		{[]string{"--routes=azure", "--azure-subscription-id=s", "--azure-resource-group=g", "--azure-route-table=rt", "--azure-credential=none"},
			"--azure-credential=none: only with --azure-endpoint"},
		// An empty --routes-netns must not mean the host's main table.
		{[]string{"--routes=kernel"}, `--routes-netns is required with --routes=kernel: a network namespace name (under /run/netns), its path, or "host" for this process's own`},
	} {
		code, out := runToExit(t, tt.args...)
		if code == 0 || !strings.Contains(out, tt.want) {
			t.Errorf("%v: exit %d, output %q; want non-zero and %q", tt.args, code, out, tt.want)
		}
	}
}

// The kernel backend's errors name no flag; the controller names its own.
func TestRoutesNetnsThatCannotBeOpenedIsNamedByItsFlag(t *testing.T) {
	missing := fmt.Sprintf("dn-missing-%d", os.Getpid())
	o := routeOptions{backend: routesKernel, netns: missing, resync: time.Second}
	if err := o.check(); err != nil {
		t.Fatalf("check: %v", err)
	}
	_, _, err := o.open(netspec.Default())
	want := `--routes-netns: network namespace "` + missing + `": open ` + netns.Path(missing)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("open = %v, want an error starting %q", err, want)
	}
}
