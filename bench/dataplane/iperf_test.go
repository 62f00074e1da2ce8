package dataplane

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// placement pins the iperf3 client and server to CPUs, the same for every path. Unpinned,
// the scheduler moves them between the two cores from run to run, and which core ends up
// doing the forwarding (all of it runs in the softirq of the sending core: a veth hands
// the packet to the next hop on the CPU that transmits it) changes the figure by a third.
type placement struct {
	clientCPU, serverCPU int
	pinned               bool
}

// result is one iperf3 run.
type result struct {
	gbps        float64
	retransmits int // segments the sender sent again: reordering or drops on the path
}

// iperf3 measures TCP throughput from namespace client to a one-off server in namespace
// server listening on addr.
func iperf3(b testing.TB, client, server string, addr netip.Addr, seconds int, cpus placement) result {
	b.Helper()
	const port = "5299"
	srvArgs := []string{"netns", "exec", server, "iperf3", "-s", "-1", "--forceflush", "-p", port, "-B", addr.String()}
	cliArgs := []string{"netns", "exec", client, "iperf3", "-c", addr.String(), "-p", port, "-t", strconv.Itoa(seconds), "-J"}
	if cpus.pinned {
		srvArgs = append(srvArgs, "-A", strconv.Itoa(cpus.serverCPU))
		cliArgs = append(cliArgs, "-A", strconv.Itoa(cpus.clientCPU))
	}
	defer startServer(b, "iperf3 server in "+server, srvArgs, "Server listening")()
	res, err := exec.Command("ip", cliArgs...).Output()
	if err != nil {
		b.Fatalf("iperf3 from %s to %s: %v\n%s", client, addr, err, res)
	}
	var report struct {
		End struct {
			SumSent struct {
				Retransmits int `json:"retransmits"`
			} `json:"sum_sent"`
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(res, &report); err != nil {
		b.Fatalf("iperf3 JSON: %v", err)
	}
	if report.Error != "" {
		b.Fatalf("iperf3 from %s to %s: %s", client, addr, report.Error)
	}
	return result{gbps: report.End.SumReceived.BitsPerSecond / 1e9, retransmits: report.End.SumSent.Retransmits}
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
