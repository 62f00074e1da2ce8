// Command rr measures TCP request/response latency the way netperf's TCP_RR does (one TCP
// connection, a 1-byte request answered by a 1-byte response, in a loop) and, with a large
// request, throughput: the time to move -size bytes and hear that they all arrived. It
// reports the p50 and p99 of those times, and Gbit/s from the p50. bench/dataplane builds it
// and runs it inside the namespaces of each path, pinned with taskset.
//
//	rr -listen ADDR -port P                     serve one connection, then exit
//	rr -to [NETNS=]ADDR:PORT [-to ...] [-size BYTES] [-slice N] -seconds N
//	    one line per -to: {"transactions":..,"p50_ns":..,"p99_ns":..,"gbps":..,"retransmits":..}
//
// With several -to, the client holds one connection to each server, each made from its own
// network namespace (a name under /run/netns or a path; none is the client's own), and takes
// turns among them, -slice requests at a time. Every server is then measured in the same
// seconds as every other, so a machine that slows down for a while (other tenants, frequency)
// slows them all alike, and the ratio of two servers' figures keeps only what their paths
// cost. Run one after the other, the same two paths differ by up to a third from run to run
// on a shared machine.
//
// Both ends use blocking socket system calls, not Go's network poller, so that each request
// costs what it costs netperf: sends, and a receive that sleeps until the answer comes. A
// large request is written 128 KiB at a time, as iperf3 writes.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	listen := flag.String("listen", "", "serve one connection on this address")
	port := flag.Int("port", 5298, "TCP port to listen on")
	var to targets
	flag.Var(&to, "to", "a server to measure, [NETNS=]ADDR:PORT (repeat it to take turns among several)")
	seconds := flag.Float64("seconds", 4, "how long the client runs, all servers together")
	slice := flag.Int("slice", 100, "requests on one connection before the next one's turn")
	size := flag.Int("size", 1, "bytes in each request (1 for request/response latency, megabytes for throughput)")
	flag.Parse()
	var err error
	switch {
	case *listen != "" && len(to) == 0:
		err = listenAndServe(*listen, *port)
	case len(to) > 0 && *listen == "":
		err = run(to, time.Duration(*seconds*float64(time.Second)), *slice, *size)
	default:
		err = fmt.Errorf("give either -listen or one or more -to")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rr:", err)
		os.Exit(1)
	}
}

// listenAndServe serves one connection on addr and port. It prints "listening" once the
// socket listens, which is when the client may connect.
func listenAndServe(addr string, port int) error {
	ln, err := listen(addr, port)
	if err != nil {
		return err
	}
	defer unix.Close(ln)
	fmt.Println("listening")
	return serve(ln)
}
