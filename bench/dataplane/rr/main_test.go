package main

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
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

func TestRoundTripsOnLoopbackInBothFamilies(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "::1"} {
		t.Run(addr, func(t *testing.T) {
			port := freePort(t, addr)
			served := make(chan error, 1)
			go func() { served <- serve(addr, port) }()
			var r report
			var err error
			// serve listens within moments; until then connect is refused.
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if r, err = measure(addr, port, 200*time.Millisecond); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("measure: %v", err)
			}
			if err := <-served; err != nil {
				t.Errorf("serve: %v", err)
			}
			if r.Transactions < 10 || r.P50 <= 0 || r.P99 < r.P50 {
				t.Errorf("report %+v: want at least 10 transactions and 0 < p50 <= p99", r)
			}
		})
	}
}

func TestAnAddressThatIsNotOneIsRefusedByName(t *testing.T) {
	if _, err := measure("pod-a", 5298, time.Second); err == nil || !strings.Contains(err.Error(), `"pod-a"`) {
		t.Fatalf("measure(pod-a) = %v, want an error naming the address", err)
	}
}
