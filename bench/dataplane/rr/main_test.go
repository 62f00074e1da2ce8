package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/testutil/deadns"
)

// freePort is a TCP port nothing listens on at the moment, from the kernel.
func freePort(t *testing.T, addr string) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	return p
}

// serveIn listens inside the namespace ns (the test's own when empty) and serves one client
// in the background; the test fails if serving fails. At cleanup a server still waiting for
// its client (the test failed before connecting) is woken by shutting its socket down.
func serveIn(t *testing.T, ns, addr string, port int) {
	t.Helper()
	var ln int
	listenHere := func() (err error) { ln, err = listen(addr, port); return err }
	var err error
	if ns == "" {
		err = listenHere()
	} else {
		err = netns.Do(ns, listenHere)
	}
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serve(ln) }()
	t.Cleanup(func() {
		unix.Shutdown(ln, unix.SHUT_RDWR)
		if err := <-served; err != nil {
			t.Errorf("serve in %q: %v", ns, err)
		}
		unix.Close(ln)
	})
}

// measureOrFail is measure, failing the test on an error.
func measureOrFail(t *testing.T, to targets, d time.Duration, slice, size int) []report {
	t.Helper()
	rs, err := measure(to, d, slice, size)
	if err != nil {
		t.Fatalf("measure %v: %v", &to, err)
	}
	return rs
}

func parse(t *testing.T, values ...string) targets {
	t.Helper()
	var to targets
	for _, v := range values {
		if err := to.Set(v); err != nil {
			t.Fatalf("-to %s: %v", v, err)
		}
	}
	return to
}

func TestRoundTripsOnLoopbackInBothFamilies(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "::1"} {
		t.Run(addr, func(t *testing.T) {
			port := freePort(t, addr)
			serveIn(t, "", addr, port)
			r := measureOrFail(t, parse(t, net.JoinHostPort(addr, strconv.Itoa(port))), 200*time.Millisecond, 100, 1)[0]
			if r.Transactions < 10 || r.P50 <= 0 || r.P99 < r.P50 {
				t.Errorf("report %+v: want at least 10 transactions and 0 < p50 <= p99", r)
			}
		})
	}
}

// A request larger than one write, and not a whole number of writes, is answered once it has
// all arrived; its time gives the throughput.
func TestALargeRequestMeasuresThroughput(t *testing.T) {
	const size = 3*chunk + 12345
	port := freePort(t, "127.0.0.1")
	serveIn(t, "", "127.0.0.1", port)
	r := measureOrFail(t, parse(t, "127.0.0.1:"+strconv.Itoa(port)), 200*time.Millisecond, 1, size)[0]
	if r.Transactions < 10 || r.P50 <= 0 || r.P99 < r.P50 {
		t.Errorf("report %+v: want at least 10 requests and 0 < p50 <= p99", r)
	}
	if want := float64(size) * 8 / float64(r.P50); r.Gbps != want {
		t.Errorf("%v Gbit/s, want the size over the p50, %v", r.Gbps, want)
	}
}

// Two namespaces with a server each on the same address and port: only a connection made
// from inside each namespace reaches its own server, and turns give both the same number of
// round trips.
func TestTurnsAmongServersEachReachedFromItsOwnNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test creates network namespaces: run it as root")
	}
	var to targets
	for i := range 2 {
		ns := deadns.Name("rr", "rrtest", os.Getpid(), int64(i+1))
		if err := netns.CreateWithLoopback(ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := netns.Delete(ns); err != nil {
				t.Error(err)
			}
		})
		serveIn(t, ns, "127.0.0.1", 5298)
		to = append(to, parse(t, ns+"=127.0.0.1:5298")...)
	}
	rs := measureOrFail(t, to, 200*time.Millisecond, 7, 1)
	if len(rs) != 2 {
		t.Fatalf("%d reports, want one per server (2)", len(rs))
	}
	if rs[0].Transactions == 0 || rs[0].Transactions != rs[1].Transactions || rs[0].Transactions%7 != 0 {
		t.Errorf("transactions %d and %d: want the same number on both, in whole turns of 7", rs[0].Transactions, rs[1].Transactions)
	}
}

func TestABadTargetIsRefusedByNameAndRule(t *testing.T) {
	for value, want := range map[string]string{
		"pod-a:5298":         "ADDR:PORT",
		"10.0.0.1":           "ADDR:PORT",
		"fd00::1:5298":       "brackets",
		"10.0.0.1:0":         "port from 1 to 65535",
		"=10.0.0.1:5298":     "namespace before = is empty",
		"ns=[fe80::1%lo]:80": "without a zone",
	} {
		var to targets
		err := to.Set(value)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fmt.Sprintf("%q", value)) {
			t.Errorf("-to %s: %v, want an error naming the value and saying %q", value, err, want)
		}
	}
	if err := run(parse(t, "127.0.0.1:5298"), time.Second, 0, 1); err == nil || !strings.Contains(err.Error(), "-slice 0") {
		t.Errorf("-slice 0: %v, want an error naming the flag", err)
	}
	if err := run(parse(t, "127.0.0.1:5298"), time.Second, 1, 0); err == nil || !strings.Contains(err.Error(), "-size 0") {
		t.Errorf("-size 0: %v, want an error naming the flag", err)
	}
	if err := run(parse(t, "127.0.0.1:5298"), 0, 1, 1); err == nil || !strings.Contains(err.Error(), "-seconds 0") {
		t.Errorf("-seconds 0: %v, want an error naming the flag", err)
	}
	if _, err := listen("pod-a", 5298); err == nil || !strings.Contains(err.Error(), `-listen "pod-a"`) {
		t.Errorf("-listen pod-a: %v, want an error naming the flag and value", err)
	}
}

// An IPv4-mapped address is dialled as IPv4, so that a socket of the right family is made.
func TestAServerAddressKeepsItsFamily(t *testing.T) {
	for in, want := range map[string]int{"10.0.0.1:1": unix.AF_INET, "[fd00::1]:1": unix.AF_INET6, "[::ffff:10.0.0.1]:1": unix.AF_INET} {
		sa, family := sockaddr(netip.MustParseAddrPort(in))
		_, is4 := sa.(*unix.SockaddrInet4)
		if family != want || is4 != (want == unix.AF_INET) {
			t.Errorf("sockaddr(%s) = %T, family %d; want family %d", in, sa, family, want)
		}
	}
}
