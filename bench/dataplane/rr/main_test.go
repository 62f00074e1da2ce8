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

// serveIn runs serve inside the namespace ns (the test's own when empty) until its one
// client is done; the test fails if serving fails.
func serveIn(t *testing.T, ns, addr string, port int) {
	served := make(chan error, 1)
	go func() {
		if ns == "" {
			served <- serve(addr, port)
			return
		}
		served <- netns.Do(ns, func() error { return serve(addr, port) })
	}()
	t.Cleanup(func() {
		if err := <-served; err != nil {
			t.Errorf("serve in %q: %v", ns, err)
		}
	})
}

// measureSoon is measure, tried again while the servers are still starting (connect is
// refused until they listen).
func measureSoon(t *testing.T, to targets, d time.Duration, slice, size int) []report {
	t.Helper()
	var rs []report
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if rs, err = measure(to, d, slice, size); err == nil {
			return rs
		}
	}
	t.Fatalf("measure %v: %v", &to, err)
	return nil
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
			r := measureSoon(t, parse(t, net.JoinHostPort(addr, strconv.Itoa(port))), 200*time.Millisecond, 100, 1)[0]
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
	r := measureSoon(t, parse(t, "127.0.0.1:"+strconv.Itoa(port)), 200*time.Millisecond, 1, size)[0]
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
	rs := measureSoon(t, to, 200*time.Millisecond, 7, 1)
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
	if err := serve("pod-a", 5298); err == nil || !strings.Contains(err.Error(), `-listen "pod-a"`) {
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
