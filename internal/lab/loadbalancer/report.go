package loadbalancer

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/dualnet/dualnet/internal/atomicfile"
)

// Report is the load balancer's state: every frontend, its rules, and each backend's probe
// state. The load balancer writes it to Config.ReportFile; `dualnet lab status` prints it.
type Report struct {
	Written        time.Time        `json:"written"`
	ProbeInterval  string           `json:"probeInterval"`
	ProbeThreshold int              `json:"probeThreshold"`
	ProbeSources   []string         `json:"probeSources"`
	Frontends      []FrontendReport `json:"frontends"`
}

// FrontendReport is one frontend: a Service's address of one family.
type FrontendReport struct {
	Service string       `json:"service"`
	IP      string       `json:"ip"`
	Rules   []RuleReport `json:"rules"`
}

// RuleReport is one load-balancing rule and its backend pool.
type RuleReport struct {
	Protocol    string          `json:"protocol"`
	Port        int32           `json:"port"`
	BackendPort int32           `json:"backendPort"` // the port packets reach the node on
	FloatingIP  bool            `json:"floatingIP"`
	Probe       string          `json:"probe"` // "" when the rule has none
	Backends    []BackendReport `json:"backends"`
}

// BackendReport is one backend of a rule: whether it takes new flows, and why.
type BackendReport struct {
	Node    string    `json:"node"`
	IP      string    `json:"ip"`
	Healthy bool      `json:"healthy"`
	Since   time.Time `json:"since,omitzero"`
	Probes  int       `json:"probes"`
	Last    string    `json:"last,omitempty"` // the last probe's outcome
}

// report describes frontends with the backends' health as applied (what the table holds: a
// backend is reported healthy only once it takes new flows, which a test reading the report
// relies on) and their probes as they are now.
func report(cfg Config, frontends []Frontend, pools map[corev1.IPFamily][]Backend, applied map[target]health, probes *probers) Report {
	r := Report{Written: time.Now(), ProbeInterval: cfg.ProbeInterval.String(), ProbeThreshold: cfg.ProbeThreshold}
	for _, p := range cfg.Pools {
		src := ProbeSourceIPv4
		if p.Addr().Is6() {
			src = ProbeSourceIPv6
		}
		r.ProbeSources = append(r.ProbeSources, src.String())
	}
	for _, fe := range frontends {
		fr := FrontendReport{Service: fe.Service, IP: fe.IP.String()}
		for _, rule := range fe.Rules {
			rr := RuleReport{Protocol: string(rule.Protocol), Port: rule.Port, BackendPort: rule.Port, FloatingIP: rule.FloatingIP}
			if !rule.FloatingIP {
				rr.BackendPort = rule.NodePort
			}
			if rule.Probe != nil {
				rr.Probe = rule.Probe.String()
			}
			for _, b := range pools[familyOf(fe.IP)] {
				br := BackendReport{Node: b.Node, IP: b.IP.String(), Healthy: true}
				if rule.Probe != nil {
					t := target{*rule.Probe, b.IP}
					a, now := applied[t], probes.health(t)
					since := a.Since
					if now.Up == a.Up || since.IsZero() {
						since = now.Since // the same state, or one not probed when applied
					}
					br.Healthy, br.Since, br.Probes, br.Last = a.Up, since, now.Probes, now.Last
				}
				rr.Backends = append(rr.Backends, br)
			}
			fr.Rules = append(fr.Rules, rr)
		}
		r.Frontends = append(r.Frontends, fr)
	}
	return r
}

func writeReport(path string, r Report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}

// ReadReport reads the report the load balancer wrote to path.
func ReadReport(path string) (Report, error) {
	var r Report
	data, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("read %s: %w", path, err)
	}
	return r, nil
}

// Print shows the report as `dualnet lab status` does.
func (r Report) Print(out io.Writer) {
	fmt.Fprintf(out, "load balancer: probes every %s from %v, %d in a row change a backend's state (as of %s)\n",
		r.ProbeInterval, r.ProbeSources, r.ProbeThreshold, r.Written.Format(time.TimeOnly))
	if len(r.Frontends) == 0 {
		fmt.Fprintln(out, "  no frontends (no Service of type LoadBalancer)")
	}
	for _, fe := range r.Frontends {
		fmt.Fprintf(out, "  %s %s\n", fe.IP, fe.Service)
		for _, rule := range fe.Rules {
			floating := "floating IP"
			if !rule.FloatingIP {
				floating = "floating IP disabled: DNAT to NodeIP"
			}
			probe := "no probe: every backend takes flows"
			if rule.Probe != "" {
				probe = "probe " + rule.Probe
			}
			fmt.Fprintf(out, "    %s %d -> backend port %d (%s), %s\n", rule.Protocol, rule.Port, rule.BackendPort, floating, probe)
			for _, b := range rule.Backends {
				state := "healthy"
				if !b.Healthy {
					state = "unhealthy"
				}
				detail := ""
				if rule.Probe != "" {
					detail = fmt.Sprintf("since %s, %d probes, last: %s", b.Since.Format(time.TimeOnly), b.Probes, b.Last)
					if b.Probes == 0 {
						detail = "not probed yet"
					}
				}
				fmt.Fprintf(out, "      %-24s %-26s %-9s %s\n", b.Node, b.IP, state, detail)
			}
		}
	}
}
