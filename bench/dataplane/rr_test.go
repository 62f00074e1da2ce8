package dataplane

import (
	"encoding/json"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

// rrResult is one request/response run of bench/dataplane/rr.
type rrResult struct {
	Transactions int   `json:"transactions"`
	P50          int64 `json:"p50_ns"`
	P99          int64 `json:"p99_ns"`
}

func (r rrResult) p50() time.Duration { return time.Duration(r.P50) }
func (r rrResult) p99() time.Duration { return time.Duration(r.P99) }

// buildRR builds the request/response tool (bench/dataplane/rr) into a directory of the test's.
func buildRR(b testing.TB) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "dn-bench-rr")
	if err := cnitest.Build(bin, "github.com/dualnet/dualnet/bench/dataplane/rr"); err != nil {
		b.Fatal(err)
	}
	return bin
}

// requestResponse measures TCP round trips of 1 byte each way from namespace client to a
// one-off rr server in namespace server listening on addr, with the same CPU placement as
// iperf3 (taskset pins every thread of each end).
func requestResponse(b testing.TB, rr, client, server string, addr netip.Addr, seconds int, cpus placement) rrResult {
	b.Helper()
	const port = "5298"
	pin := func(ns string, cpu int) []string {
		args := []string{"netns", "exec", ns}
		if cpus.pinned {
			args = append(args, "taskset", "-c", strconv.Itoa(cpu))
		}
		return append(args, rr)
	}
	srvArgs := append(pin(server, cpus.serverCPU), "-listen", addr.String(), "-port", port)
	cliArgs := append(pin(client, cpus.clientCPU), "-connect", addr.String(), "-port", port, "-seconds", strconv.Itoa(seconds))
	defer startServer(b, "rr server in "+server, srvArgs, "listening")()
	out, err := exec.Command("ip", cliArgs...).Output()
	if err != nil {
		stderr := ""
		if exit, ok := err.(*exec.ExitError); ok {
			stderr = string(exit.Stderr)
		}
		b.Fatalf("rr from %s to %s: %v\n%s%s", client, addr, err, out, stderr)
	}
	var r rrResult
	if err := json.Unmarshal(out, &r); err != nil {
		b.Fatalf("rr from %s to %s: %v: %s", client, addr, err, out)
	}
	return r
}
