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

// iperf3 measures TCP throughput in Gbit/s from namespace client to a one-off server in
// namespace server listening on addr.
func iperf3(b testing.TB, client, server string, addr netip.Addr, seconds int) float64 {
	b.Helper()
	const port = "5299"
	srv := exec.Command("ip", "netns", "exec", server, "iperf3", "-s", "-1", "--forceflush", "-p", port, "-B", addr.String())
	out, err := srv.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	srv.Stderr = srv.Stdout
	if err := srv.Start(); err != nil {
		b.Fatalf("start iperf3 server in %s: %v", server, err)
	}
	defer func() {
		srv.Process.Kill() // a one-off server normally exits by itself after the test
		srv.Wait()
	}()
	listening := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Server listening") {
				listening <- nil
				for sc.Scan() { // drain, so the server never blocks on a full pipe
				}
				return
			}
		}
		listening <- fmt.Errorf("iperf3 server in %s exited before listening", server)
	}()
	select {
	case err := <-listening:
		if err != nil {
			b.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		b.Fatalf("iperf3 server in %s not listening within 10s", server)
	}
	cmd := exec.Command("ip", "netns", "exec", client, "iperf3", "-c", addr.String(), "-p", port, "-t", strconv.Itoa(seconds), "-J")
	res, err := cmd.Output()
	if err != nil {
		b.Fatalf("iperf3 from %s to %s: %v\n%s", client, addr, err, res)
	}
	var report struct {
		End struct {
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
	return report.End.SumReceived.BitsPerSecond / 1e9
}
