package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/routes/kernel/kerneltest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// TestServesTheTableAndMirrorsItIntoTheNamespace runs the command as the lab does and writes
// a route table through the SDK with the URL and certificate the command wrote out.
func TestServesTheTableAndMirrorsItIntoTheNamespace(t *testing.T) {
	ns := kerneltest.Router(t, "armemu")

	dir := t.TempDir()
	cmd := newCommand()
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--cert-file", filepath.Join(dir, "ca.pem"), "--url-file", filepath.Join(dir, "url"),
		"--subscription", "s", "--resource-group", "g", "--route-table", "rt", "--apply-netns", ns})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		// The command stops on SIGTERM in real use; here its context ends.
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("dualnet-armemu did not stop")
		}
	})
	var url string
	poll.Eventually(t, 10*time.Second, "the --url-file", func() error {
		b, _ := os.ReadFile(filepath.Join(dir, "url"))
		if url = strings.TrimSpace(string(b)); url == "" {
			return fmt.Errorf("no --url-file written")
		}
		return nil
	})
	client := clientFor(t, url, filepath.Join(dir, "ca.pem"))
	p, err := client.BeginCreateOrUpdate(context.Background(), "g", "rt", armnetwork.RouteTable{Location: to.Ptr("westeurope"),
		Properties: &armnetwork.RouteTablePropertiesFormat{Routes: []*armnetwork.Route{{Name: to.Ptr("n1____102441024"),
			Properties: &armnetwork.RoutePropertiesFormat{AddressPrefix: to.Ptr("10.244.1.0/24"),
				NextHopType: to.Ptr(armnetwork.RouteNextHopTypeVirtualAppliance), NextHopIPAddress: to.Ptr("10.240.0.5")}}}}}, nil)
	if err == nil {
		_, err = p.PollUntilDone(context.Background(), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	poll.Eventually(t, 10*time.Second, "the route mirrored into the namespace", func() error {
		if routes := kerneltest.IP(t, "-n", ns, "route", "show", "proto", "222"); !strings.Contains(routes, "10.244.1.0/24 via 10.240.0.5") {
			return fmt.Errorf("route not mirrored into %s; its proto 222 routes:\n%s", ns, routes)
		}
		return nil
	})
}

func clientFor(t *testing.T, url, caFile string) *armnetwork.RouteTablesClient {
	t.Helper()
	transport, err := trustingClient(caFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := armnetwork.NewRouteTablesClient("s", armemu.Credential(), &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud:     cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: {Endpoint: url, Audience: url}}},
		Transport: transport}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every flag is checked before the endpoint starts: the command fails naming the flag and
// the rule, and serves nothing (no --url-file written).
func TestBadFlagsAreNamedBeforeTheEndpointStarts(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "8443"}, `--listen: "8443" is not a listen address`},
		{[]string{"--route-limit", "0"}, "--route-limit: 0, want a positive number of routes"},
		{[]string{"--route-table", "rt"}, "--route-table [rt] needs --resource-group"},
		{[]string{"--resource-group", "g", "--apply-netns", "x"}, "--apply-netns x: needs exactly one --route-table"},
		{[]string{"--pod-cidrs", "10.244.0.0/33"}, `--pod-cidrs: "10.244.0.0/33" is not a CIDR`},
		{[]string{"--pod-cidrs", "10.244.1.0/16"}, "--pod-cidrs: 10.244.1.0/16 has host bits set: did you mean 10.244.0.0/16?"},
	} {
		urlFile := filepath.Join(t.TempDir(), "url")
		cmd := newCommand()
		cmd.SetArgs(append([]string{"--url-file", urlFile}, tc.args...))
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("dualnet-armemu %v = %v, want an error saying %q", tc.args, err, tc.want)
		}
		if _, err := os.Stat(urlFile); err == nil {
			t.Errorf("dualnet-armemu %v started serving", tc.args)
		}
	}
}
