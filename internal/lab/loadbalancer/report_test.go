package loadbalancer

import (
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestReportSaysHealthyWhatTheTableHolds: a probe that has just changed a backend's state runs
// ahead of the table until the next sync applies it. The report, which tests poll before they
// send a flow, says healthy only what takes new flows, and shows the probes as they are now.
func TestReportSaysHealthyWhatTheTableHolds(t *testing.T) {
	probe := &Probe{Protocol: ProbeHTTP, Port: 31135, Path: "/healthz"}
	frontends := []Frontend{{Service: "default/web", IP: netip.MustParseAddr("203.0.113.1"),
		Rules: []Rule{{Protocol: corev1.ProtocolTCP, Port: 80, FloatingIP: true, Probe: probe}}}}
	cameUp, wentDown := netip.MustParseAddr("10.240.0.4"), netip.MustParseAddr("10.240.0.5")
	steady, unseen := netip.MustParseAddr("10.240.0.6"), netip.MustParseAddr("10.240.0.7")
	pools := map[corev1.IPFamily][]Backend{corev1.IPv4Protocol: {
		{"came-up", cameUp}, {"went-down", wentDown}, {"steady", steady}, {"new", unseen}}}
	t0 := time.Date(2026, 12, 6, 11, 30, 0, 0, time.UTC)
	t1 := t0.Add(5 * time.Second)
	applied := map[target]health{
		{*probe, cameUp}:   {Up: false, Since: t0, Probes: 3, Last: "HTTP 503"},
		{*probe, wentDown}: {Up: true, Since: t0, Probes: 3, Last: "ok"},
		{*probe, steady}:   {Up: true, Since: t0, Probes: 3, Last: "ok"},
	}
	live := &probers{state: map[target]*health{
		{*probe, cameUp}:   {Up: true, Since: t1, Probes: 5, Last: "ok"},
		{*probe, wentDown}: {Up: false, Since: t1, Probes: 5, Last: "HTTP 503"},
		{*probe, steady}:   {Up: true, Since: t0, Probes: 5, Last: "ok"},
		{*probe, unseen}:   {Up: false, Since: t1, Probes: 1, Last: "ok"},
	}}
	r := report(Config{ProbeInterval: time.Second, ProbeThreshold: 2}, frontends, pools, applied, live)

	want := map[string]BackendReport{
		"came-up":   {Node: "came-up", IP: "10.240.0.4", Healthy: false, Since: t0, Probes: 5, Last: "ok"},
		"went-down": {Node: "went-down", IP: "10.240.0.5", Healthy: true, Since: t0, Probes: 5, Last: "HTTP 503"},
		"steady":    {Node: "steady", IP: "10.240.0.6", Healthy: true, Since: t0, Probes: 5, Last: "ok"},
		"new":       {Node: "new", IP: "10.240.0.7", Healthy: false, Since: t1, Probes: 1, Last: "ok"},
	}
	got := r.Frontends[0].Rules[0].Backends
	if len(got) != len(want) {
		t.Fatalf("backends %+v, want %d", got, len(want))
	}
	for _, b := range got {
		if w := want[b.Node]; b != w {
			t.Errorf("backend %s:\n got %+v\nwant %+v", b.Node, b, w)
		}
	}
}
