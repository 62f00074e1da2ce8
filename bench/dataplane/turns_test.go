package dataplane

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

// placement pins the rr client and servers to CPUs, the same for every path. Unpinned, the
// scheduler moves them between the two cores from run to run, and which core ends up doing
// the forwarding (all of it runs in the softirq of the sending core: a veth hands the packet
// to the next hop on the CPU that transmits it) changes the figure by a third.
type placement struct {
	clientCPU, serverCPU int
	pinned               bool
}

// rrResult is what bench/dataplane/rr reports for one path of a run.
type rrResult struct {
	Transactions int     `json:"transactions"`
	P50          int64   `json:"p50_ns"`
	P99          int64   `json:"p99_ns"`
	Gbps         float64 `json:"gbps"`
	Retransmits  int     `json:"retransmits"`
}

func (r rrResult) p50() time.Duration { return time.Duration(r.P50) }
func (r rrResult) p99() time.Duration { return time.Duration(r.P99) }

// buildRR builds the measuring tool (bench/dataplane/rr) into a directory of the test's.
func buildRR(b testing.TB) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "dn-bench-rr")
	if err := cnitest.Build(bin, "github.com/dualnet/dualnet/bench/dataplane/rr"); err != nil {
		b.Fatal(err)
	}
	return bin
}

// A run in turns is either kind: request/response, 1 byte each way, 100 round trips a turn
// (about 2 ms); or throughput, 16 MiB a request (about 4 ms at the speeds here), one a turn.
// A round of a dozen paths' turns then takes some 50 ms, under TCP's minimum retransmission
// timeout (200 ms), so no connection waits long enough between its turns to start slow
// again. With 64 MiB requests, about 200 ms a round, pod -> pod IPv4's paired ratios to the
// peer spread 0.91-1.01 over 8 rounds; with 16 MiB, 0.96-1.00.
type runKind struct {
	size, slice int
}

var (
	requestResponse = runKind{size: 1, slice: 100}
	throughput      = runKind{size: 16 << 20, slice: 1}
)

// inTurns measures every path at once: one rr client (on the client CPU, in the host
// namespace) holds a connection to each path's one-off server (on the server CPU, in the
// path's server namespace), each made from the path's client namespace, and takes turns
// among them, so that every path is measured in the same seconds. Each path gets the same
// number of requests, about seconds' worth (the run lasts seconds times the paths).
func inTurns(b testing.TB, rr string, kind runKind, paths []*path, seconds int, cpus placement) []rrResult {
	b.Helper()
	pin := func(cpu int, args ...string) []string {
		if cpus.pinned {
			return append([]string{"taskset", "-c", strconv.Itoa(cpu)}, args...)
		}
		return args
	}
	cliArgs := pin(cpus.clientCPU, rr, "-seconds", strconv.Itoa(seconds*len(paths)),
		"-size", strconv.Itoa(kind.size), "-slice", strconv.Itoa(kind.slice))
	for i, p := range paths {
		port := uint16(5298 + i)
		srvArgs := append([]string{"netns", "exec", p.server}, pin(cpus.serverCPU, rr, "-listen", p.addr.String(), "-port", strconv.Itoa(int(port)))...)
		defer startServer(b, "rr server in "+p.server, srvArgs, "listening")()
		cliArgs = append(cliArgs, "-to", p.client+"="+netip.AddrPortFrom(p.addr, port).String())
	}
	out, err := exec.Command(cliArgs[0], cliArgs[1:]...).Output()
	if err != nil {
		stderr := ""
		if exit, ok := err.(*exec.ExitError); ok {
			stderr = string(exit.Stderr)
		}
		b.Fatalf("rr %v: %v\n%s%s", cliArgs, err, out, stderr)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	results := make([]rrResult, len(paths))
	for i, p := range paths {
		if err := dec.Decode(&results[i]); err != nil {
			b.Fatalf("rr's report for %s: %v: %s", p.name, err, out)
		}
	}
	return results
}

// startServer runs a one-off server, named what in errors, by ip(8) with args ("netns exec
// NS ..."), and waits until its output shows ready; the returned function stops it, if it has
// not exited by itself after serving one client.
func startServer(b testing.TB, what string, args []string, ready string) (stop func()) {
	b.Helper()
	srv := exec.Command("ip", args...)
	out, err := srv.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	srv.Stderr = srv.Stdout
	if err := srv.Start(); err != nil {
		b.Fatalf("start %s: %v", what, err)
	}
	stop = func() {
		srv.Process.Kill()
		srv.Wait()
	}
	listening := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var seen []string
		for sc.Scan() {
			if strings.Contains(sc.Text(), ready) {
				listening <- nil
				for sc.Scan() { // drain, so the server never blocks on a full pipe
				}
				return
			}
			seen = append(seen, sc.Text())
		}
		listening <- fmt.Errorf("%s exited before listening: %s", what, strings.Join(seen, "\n"))
	}()
	select {
	case err := <-listening:
		if err != nil {
			stop()
			b.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		stop()
		b.Fatalf("%s not listening within 10s", what)
	}
	return stop
}
