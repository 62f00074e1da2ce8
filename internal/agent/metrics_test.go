package agent_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/dualnet/dualnet/internal/agent"
	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// exposition is one scrape of an agent's /metrics.
type exposition struct {
	text     []byte
	families map[string]*dto.MetricFamily
}

// scrape GETs the agent's /metrics through its health handler, as Prometheus would, and
// parses the text exposition.
func scrape(t *testing.T, a *agent.Agent) exposition {
	t.Helper()
	e, err := scrapeOnce(a)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// scrapeOnce is scrape for a goroutine other than the test's.
func scrapeOnce(a *agent.Agent) (exposition, error) {
	rec := httptest.NewRecorder()
	a.HealthHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		return exposition{}, fmt.Errorf("/metrics = %d: %s", rec.Code, rec.Body)
	}
	text := rec.Body.Bytes()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return exposition{}, fmt.Errorf("parse /metrics: %w\n%s", err, text)
	}
	return exposition{text: text, families: families}, nil
}

// value is the sample of metric name whose labels include labels (name, value pairs).
func (e exposition) value(name string, labels ...string) (float64, error) {
	f, ok := e.families[name]
	if !ok {
		return 0, fmt.Errorf("no metric %s in /metrics", name)
	}
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && have[labels[i]] == labels[i+1]
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), nil
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), nil
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), nil
		}
	}
	return 0, fmt.Errorf("no sample of %s with labels %v in /metrics", name, labels)
}

// want fails the test unless the sample is ok by check.
func (e exposition) want(t *testing.T, check func(float64) bool, rule, name string, labels ...string) {
	t.Helper()
	v, err := e.value(name, labels...)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	if !check(v) {
		t.Errorf("%s%v = %v, want %s", name, labels, v, rule)
	}
}

func equals(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
func positive(v float64) bool                { return v > 0 }

func TestMetricsReportReadinessSyncsAndPodAddressUsage(t *testing.T) {
	start := time.Now()
	c := agenttest.NewCluster(t, 2)
	n := c.Nodes[0]

	// The agent counts a sync once it returned, a moment after it turned ready.
	poll.Eventually(t, 5*time.Second, "the first sync counted", func() error {
		return wantAtLeast(scrape(t, n.Agent), "dualnet_agent_syncs_total", 1, "result", "ok")
	})
	m := scrape(t, n.Agent)
	m.want(t, equals(1), "1", "dualnet_agent_ready")
	m.want(t, equals(0), "0", "dualnet_agent_syncs_total", "result", "error")
	m.want(t, positive, "> 0 syncs timed", "dualnet_agent_sync_duration_seconds")
	m.want(t, positive, "> 0: the first sync set the node up", "dualnet_agent_dataplane_changes_total")
	recent := func(v float64) bool {
		at := time.Unix(0, int64(v*1e9))
		return !at.Before(start.Truncate(time.Second)) && !at.After(time.Now())
	}
	m.want(t, recent, fmt.Sprintf("between the test's start %s and now", start.Format(time.RFC3339Nano)), "dualnet_agent_last_successful_sync_timestamp_seconds")
	// The other node's pod CIDRs, one per family, via its address on the shared link.
	m.want(t, equals(1), "1", "dualnet_agent_host_routes", "family", "ipv4")
	m.want(t, equals(1), "1", "dualnet_agent_host_routes", "family", "ipv6")
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if _, ok := m.families[name]; !ok {
			t.Errorf("no %s: the Go and process collectors are missing", name)
		}
	}

	// The harness's node 0 has 10.244.0.0/24 and fd12:3456:789a::/80: .2 to .254, and
	// ::2 up to the end of the /80.
	if got := fmt.Sprint(n.PodCIDRs); got != "[10.244.0.0/24 fd12:3456:789a::/80]" {
		t.Fatalf("the harness's pod CIDRs of node 0 are %s; this test's capacities assume a /24 and a /80", got)
	}
	capacities := map[string]float64{"ipv4": 253, "ipv6": 1<<48 - 2}
	for pods := range 4 {
		if pods > 0 {
			n.AddPod(t)
		}
		m := scrape(t, n.Agent)
		for family, capacity := range capacities {
			m.want(t, equals(float64(pods)), fmt.Sprintf("%d after %d pods", pods, pods), "dualnet_agent_pod_addresses_in_use", "family", family)
			m.want(t, equals(capacity), fmt.Sprint(capacity), "dualnet_agent_pod_addresses_capacity", "family", family)
		}
	}
}

func TestMetricsOfANodeWaitingForItsPodCIDRs(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	name := dptest.Name("bare-")
	v4, v6 := agenttest.NodeAddrs(6)
	agenttest.CreateNode(t, name, nil, v4, v6)
	cfg := c.Nodes[0].AgentConfig
	cfg.NodeName = name
	cfg.CNIConfDir, cfg.CNIBinDir, cfg.CNIDataDir = t.TempDir(), t.TempDir(), t.TempDir()
	bare := &agenttest.Node{Name: name, AgentConfig: cfg}
	bare.Start(t)
	a := bare.Agent
	poll.Eventually(t, 10*time.Second, "a sync that waits counted", func() error {
		return wantAtLeast(scrape(t, a), "dualnet_agent_syncs_total", 1, "result", "waiting")
	})
	m := scrape(t, a)
	m.want(t, equals(0), "0", "dualnet_agent_ready")
	m.want(t, equals(0), "0", "dualnet_agent_syncs_total", "result", "ok")
	m.want(t, equals(0), "0: never", "dualnet_agent_last_successful_sync_timestamp_seconds")
	for _, name := range []string{"dualnet_agent_pod_addresses_in_use", "dualnet_agent_pod_addresses_capacity"} {
		if _, ok := m.families[name]; ok {
			t.Errorf("%s reported for a node without pod CIDRs", name)
		}
	}
}

func TestMetricsCountTheDriftASyncRepairs(t *testing.T) {
	c := agenttest.NewCluster(t, 2)
	n := c.Nodes[0]
	changes := func() float64 {
		v, err := scrape(t, n.Agent).value("dualnet_agent_dataplane_changes_total")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// After a second sync the node is in its desired state: later syncs change nothing
	// unless something drifts.
	poll.Eventually(t, agenttest.Resync+5*time.Second, "a second sync", func() error {
		return wantAtLeast(scrape(t, n.Agent), "dualnet_agent_syncs_total", 2, "result", "ok")
	})
	before := changes()
	dptest.InNS(t, n.Host.Name, "ip", "route", "del", c.Nodes[1].PodCIDRs[0].String())
	poll.Eventually(t, agenttest.Resync+5*time.Second, "the deleted route's repair counted", func() error {
		if after := changes(); after < before+1 {
			return fmt.Errorf("dualnet_agent_dataplane_changes_total %v, was %v before the route was deleted", after, before)
		}
		return nil
	})
	m := scrape(t, n.Agent)
	m.want(t, equals(1), "1 again", "dualnet_agent_host_routes", "family", "ipv4")
}

func TestMetricsCountTheAntispoofSweepsRepairsAndRemovals(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	n.AddPod(t)
	n.StopAgent()
	const neverIndex = 1<<31 - 1 // a port index no test reaches: a deleted pod's
	register(t, n, stalePod(neverIndex, 4))
	n.AgentConfig.AntispoofSweep = sweepPeriod
	n.Start(t)
	poll.Eventually(t, 10*sweepPeriod+5*time.Second, "the deleted pod's registration removal counted", func() error {
		return wantAtLeast(scrape(t, n.Agent), "dualnet_agent_antispoof_stale_registrations_removed_total", 1)
	})
	dptest.InNS(t, n.Host.Name, "nft", "delete", "table", "bridge", antispoof.Table)
	poll.Eventually(t, 10*sweepPeriod+5*time.Second, "the table's repair counted", func() error {
		return wantAtLeast(scrape(t, n.Agent), "dualnet_agent_antispoof_repairs_total", 1)
	})
	m := scrape(t, n.Agent)
	m.want(t, func(v float64) bool { return v >= 2 }, ">= 2", "dualnet_agent_antispoof_sweeps_total")
	m.want(t, equals(0), "0", "dualnet_agent_antispoof_sweep_errors_total")
}

func wantAtLeast(m exposition, name string, min float64, labels ...string) error {
	v, err := m.value(name, labels...)
	if err != nil {
		return err
	}
	if v < min {
		return fmt.Errorf("%s = %v, want >= %v", name, v, min)
	}
	return nil
}

// TestMetricsFollowPrometheusConventions lints the names, types and help texts as
// Prometheus' own promlint does (units, _total on counters, help present).
func TestMetricsFollowPrometheusConventions(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	m := scrape(t, c.Nodes[0].Agent)
	problems, err := promlint.New(bytes.NewReader(m.text)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "dualnet_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
	for name, f := range m.families {
		if strings.HasPrefix(name, "dualnet_agent_") && len(f.GetHelp()) < 20 {
			t.Errorf("%s has help %q: say what it means", name, f.GetHelp())
		}
	}
}
