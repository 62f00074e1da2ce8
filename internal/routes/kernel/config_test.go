package kernel_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/routes"
	"github.com/dualnet/dualnet/internal/routes/kernel"
	"github.com/dualnet/dualnet/internal/routes/kernel/kerneltest"
)

// An empty namespace must not quietly mean the host's main table; and the package's errors
// name no flag, since each binary has its own (--routes-netns, --apply-netns).
func TestNewRefusesAnEmptyNamespaceWithAnErrorNamingNoFlag(t *testing.T) {
	for _, tc := range []struct {
		cfg  kernel.Config
		is   error
		want string
	}{
		{kernel.Config{PodCIDRs: podCIDRs}, kernel.ErrNoNetNS, `or "host" for this process's own`},
		{kernel.Config{NetNS: "host"}, kernel.ErrNoPodCIDRs, "no cluster pod CIDRs"},
		{kernel.Config{NetNS: fmt.Sprintf("dn-missing-%d", 1<<20), PodCIDRs: podCIDRs}, nil, `network namespace "dn-missing-1048576": open ` + netns.Path("dn-missing-1048576")},
	} {
		b, err := kernel.New(tc.cfg)
		if err == nil {
			b.Close()
			t.Errorf("New(%+v) succeeded, want an error", tc.cfg)
			continue
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("New(%+v) = %v, want %v", tc.cfg, err, tc.is)
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "--") {
			t.Errorf("New(%+v) = %q, want it to say %q and name no flag", tc.cfg, err, tc.want)
		}
	}
}

// "host" is the namespace of the caller: run from a thread inside a test router, the backend
// sees that router's routes (and the real host's table is never opened).
func TestNewWithHostProgramsTheCallersOwnNamespace(t *testing.T) {
	ns := kerneltest.Router(t, "rkh")
	kerneltest.IP(t, "-n", ns, "route", "add", "10.244.66.0/24", "via", "10.240.0.66", "proto", fmt.Sprint(routes.KernelProtocol))

	var b *kernel.Backend
	err := netns.Do(ns, func() error {
		var err error
		b, err = kernel.New(kernel.Config{NetNS: kernel.HostNetNS, PodCIDRs: podCIDRs})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	got, err := b.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := routes.Route{Prefix: netip.MustParsePrefix("10.244.66.0/24"), NextHop: netip.MustParseAddr("10.240.0.66")}
	if len(got.Routes) != 1 || got.Routes[0] != want {
		t.Errorf("routes read = %v, want only the router's %v", got.Routes, want)
	}
}
