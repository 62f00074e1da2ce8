package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// containerdMetrics is where a lab node's containerd serves its metrics, on the node's own
// loopback (internal/lab's ContainerdMetricsAddr).
const containerdMetrics = "http://127.0.0.1:1338/v1/metrics"

// networkOpsMetric is containerd's CRI histogram of CNI calls, by operation_type.
const networkOpsMetric = "containerd_cri_network_plugin_operations_duration_seconds_seconds"

// histogram is a Prometheus histogram's running sum and count.
type histogram struct{ sum, count float64 }

// since is the mean of the observations made after prev.
func (h histogram) since(prev histogram) time.Duration {
	n := h.count - prev.count
	if n <= 0 {
		return 0
	}
	return time.Duration((h.sum - prev.sum) / n * float64(time.Second))
}

type networkOps struct{ setUp, tearDown histogram }

// scrapeNetworkOps reads containerd's CNI set-up and tear-down histograms on node.
func scrapeNetworkOps(node string) (networkOps, error) {
	out, err := exec.Command("nsenter", "--net=/run/netns/"+node, "curl", "-sf", "--max-time", "10", containerdMetrics).Output()
	if err != nil {
		return networkOps{}, fmt.Errorf("containerd's metrics on %s (%s): %w", node, containerdMetrics, err)
	}
	var ops networkOps
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, networkOpsMetric+"_") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		var h *histogram
		switch {
		case strings.Contains(name, `operation_type="set_up_pod"`):
			h = &ops.setUp
		case strings.Contains(name, `operation_type="tear_down_pod"`):
			h = &ops.tearDown
		default:
			continue
		}
		switch {
		case strings.HasPrefix(name, networkOpsMetric+"_sum"):
			h.sum = v
			found++
		case strings.HasPrefix(name, networkOpsMetric+"_count"):
			h.count = v
			found++
		}
	}
	if found == 0 && bytes.Contains(out, []byte(networkOpsMetric)) {
		return ops, fmt.Errorf("containerd's metrics on %s: %s has no sum or count", node, networkOpsMetric)
	}
	return ops, nil
}
