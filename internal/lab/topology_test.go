package lab

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/netspec"
)

// testLab builds a topology under a name unique to this test run and removes it at the end.
func testLab(t *testing.T, nodes int) (*State, Topology) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test creates network namespaces: run it as root (make test does)")
	}
	root := t.TempDir()
	name := fmt.Sprintf("dn-lt%d", os.Getpid())
	st, err := newState(root, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := Down(root, name, io.Discard); err != nil {
			t.Errorf("Down: %v", err)
		}
	})
	a, err := NewAddressing(prefixes(DefaultNodeSubnetIPv4, DefaultNodeSubnetIPv6), nodes)
	if err != nil {
		t.Fatal(err)
	}
	topo := Topology{Names: Names{Lab: name}, Addressing: a, Internet: NewInternet(netspec.Default())}
	if err := topo.Build(st, func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	return st, topo
}

// dialFrom connects from one namespace to a listener in another, both families.
func dialFrom(t *testing.T, from, to string, addr netip.Addr) {
	t.Helper()
	var l net.Listener
	err := netns.Do(to, func() error {
		var err error
		l, err = net.Listen("tcp", net.JoinHostPort(addr.String(), "7777"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if c, err := l.Accept(); err == nil {
			c.Write([]byte("hello"))
			c.Close()
		}
	}()
	err = netns.Do(from, func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(addr.String(), "7777"), 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		got, err := io.ReadAll(c)
		if string(got) != "hello" {
			return fmt.Errorf("read %q, %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("%s -> %s (%s): %v", from, to, addr, err)
	}
}

func TestTopologyPutsNodesAndVnetHostOnOneSubnetOfBothFamilies(t *testing.T) {
	_, topo := testLab(t, 2)
	for i, addr := range topo.Addressing.Node(1) {
		dialFrom(t, topo.Names.Node(0), topo.Names.Node(1), addr.Addr())
		dialFrom(t, topo.Names.Node(1), topo.Names.VnetHost(), topo.Addressing.VnetHost()[i].Addr())
		dialFrom(t, topo.Names.VnetHost(), topo.Names.Vnet(), topo.Addressing.Gateway()[i].Addr())
		dialFrom(t, topo.Names.Internet(), topo.Names.Node(0), topo.Addressing.Node(0)[i].Addr())
	}
}

func TestDownRemovesEveryNamespaceAndTheStateDirectory(t *testing.T) {
	st, topo := testLab(t, 1)
	var out strings.Builder
	if err := Down(strings.TrimSuffix(st.Dir, "/"+st.Name), st.Name, &out); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{topo.Names.Vnet(), topo.Names.Node(0), topo.Names.VnetHost()} {
		if _, err := os.Stat(netns.Path(ns)); err == nil {
			t.Errorf("namespace %s is still there", ns)
		}
		if !strings.Contains(out.String(), "deleted network namespace "+ns) {
			t.Errorf("Down did not say it deleted %s:\n%s", ns, out.String())
		}
	}
	if _, err := os.Stat(st.Dir); err == nil {
		t.Errorf("%s is still there", st.Dir)
	}
}
