// Command rr measures TCP request/response latency the way netperf's TCP_RR does: one TCP
// connection, a 1-byte request answered by a 1-byte response, in a loop, and reports the
// round trips' p50 and p99. bench/dataplane builds it and runs it inside the namespaces of
// each path, pinned with taskset.
//
//	rr -listen ADDR -port P                 serve one connection, then exit
//	rr -connect ADDR -port P -seconds N     prints {"transactions":..,"p50_ns":..,"p99_ns":..}
//
// Both ends use blocking socket system calls, not Go's network poller, so that each round
// trip costs what it costs netperf: a send, and a receive that sleeps until the answer comes.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	listen := flag.String("listen", "", "serve one connection on this address")
	connect := flag.String("connect", "", "measure against the server at this address")
	port := flag.Int("port", 5298, "TCP port")
	seconds := flag.Float64("seconds", 4, "how long the client runs")
	flag.Parse()
	var err error
	switch {
	case *listen != "" && *connect == "":
		err = serve(*listen, *port)
	case *connect != "" && *listen == "":
		var r report
		if r, err = measure(*connect, *port, time.Duration(*seconds*float64(time.Second))); err == nil {
			err = json.NewEncoder(os.Stdout).Encode(r)
		}
	default:
		err = fmt.Errorf("give exactly one of -listen and -connect")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rr:", err)
		os.Exit(1)
	}
}

// sockaddr parses addr (IPv4 or IPv6) into a socket address and its family.
func sockaddr(addr string, port int) (unix.Sockaddr, int, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return nil, 0, fmt.Errorf("address %q: %w", addr, err)
	}
	if a.Is4() {
		return &unix.SockaddrInet4{Port: port, Addr: a.As4()}, unix.AF_INET, nil
	}
	return &unix.SockaddrInet6{Port: port, Addr: a.As16()}, unix.AF_INET6, nil
}

// serve accepts one connection and answers every byte with one byte until the client closes.
// It prints "listening" once the socket listens, which is when the client may connect.
func serve(addr string, port int) error {
	sa, family, err := sockaddr(addr, port)
	if err != nil {
		return err
	}
	ln, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.SetsockoptInt(ln, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	if err := unix.Bind(ln, sa); err != nil {
		return fmt.Errorf("bind %s port %d: %w", addr, port, err)
	}
	if err := unix.Listen(ln, 1); err != nil {
		return err
	}
	fmt.Println("listening")
	fd, _, err := unix.Accept(ln)
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	unix.Close(ln)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return err
	}
	buf := make([]byte, 1)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if n == 0 {
			return nil // the client is done
		}
		if _, err := unix.Write(fd, buf); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
}

// report is what the client prints.
type report struct {
	Transactions int   `json:"transactions"`
	P50          int64 `json:"p50_ns"`
	P99          int64 `json:"p99_ns"`
}

// measure runs round trips for d after a short warm-up (the first ones pay for the caches
// and the connection's slow start).
func measure(addr string, port int, d time.Duration) (report, error) {
	sa, family, err := sockaddr(addr, port)
	if err != nil {
		return report{}, err
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return report{}, err
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, sa); err != nil {
		return report{}, fmt.Errorf("connect to %s port %d: %w", addr, port, err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return report{}, err
	}
	buf := []byte{'r'}
	roundTrip := func() error {
		if _, err := unix.Write(fd, buf); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		n, err := unix.Read(fd, buf)
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if n != 1 {
			return fmt.Errorf("the server closed the connection")
		}
		return nil
	}
	for range 1000 {
		if err := roundTrip(); err != nil {
			return report{}, err
		}
	}
	samples := make([]int64, 0, 1<<20)
	end := time.Now().Add(d)
	for {
		start := time.Now()
		if start.After(end) {
			break
		}
		if err := roundTrip(); err != nil {
			return report{}, err
		}
		samples = append(samples, int64(time.Since(start)))
	}
	if len(samples) == 0 {
		return report{}, fmt.Errorf("no round trip in %s", d)
	}
	slices.Sort(samples)
	return report{
		Transactions: len(samples),
		P50:          samples[(len(samples)-1)*50/100],
		P99:          samples[(len(samples)-1)*99/100],
	}, nil
}
