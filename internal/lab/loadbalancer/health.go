package loadbalancer

import (
	"context"
	"net/netip"
	"sync"
	"time"
)

// target is what one prober probes: a probe on one backend address. Rules with the same probe
// (a Local Service's ports share its healthCheckNodePort probe) share its prober.
type target struct {
	probe Probe
	addr  netip.Addr
}

// health is a target's state. A backend starts down and changes state after threshold
// consecutive probes that disagree with it: Azure's probeThreshold is "the number of
// consecutive successful or failed probes in order to allow or deny traffic" (Azure's
// load balancer REST API, ProbePropertiesFormat).
type health struct {
	Up     bool
	Since  time.Time // of the last change of Up, or of the first probe
	Probes int       // probes so far
	Last   string    // the last probe's outcome: "ok" or why it failed
	streak int       // consecutive probes that disagree with Up
}

// observe records one probe's outcome and says whether the state changed.
func (h *health) observe(now time.Time, err error, threshold int) bool {
	if h.Probes == 0 {
		h.Since = now
	}
	h.Probes++
	ok := err == nil
	h.Last = "ok"
	if !ok {
		h.Last = err.Error()
	}
	if ok == h.Up {
		h.streak = 0
		return false
	}
	h.streak++
	if h.streak < threshold {
		return false
	}
	h.Up, h.Since, h.streak = ok, now, 0
	return true
}

// probers runs one prober per target and tells changed when any target changes state.
type probers struct {
	interval  time.Duration
	threshold int
	probe     func(ctx context.Context, t target) error
	changed   func()

	mu      sync.Mutex
	state   map[target]*health
	running map[target]context.CancelFunc
	wg      sync.WaitGroup
}

// set starts a prober for every new target and stops those of targets no longer wanted.
func (p *probers) set(ctx context.Context, targets []target) {
	p.mu.Lock()
	defer p.mu.Unlock()
	want := map[target]bool{}
	for _, t := range targets {
		want[t] = true
		if _, ok := p.running[t]; ok {
			continue
		}
		tctx, cancel := context.WithCancel(ctx)
		p.running[t], p.state[t] = cancel, &health{}
		p.wg.Go(func() { p.run(tctx, t) })
	}
	for t, cancel := range p.running {
		if !want[t] {
			cancel()
			delete(p.running, t)
			delete(p.state, t)
		}
	}
}

func (p *probers) run(ctx context.Context, t target) {
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		err := p.probe(ctx, t)
		if ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		changed := false
		if h, ok := p.state[t]; ok {
			changed = h.observe(time.Now(), err, p.threshold)
		}
		p.mu.Unlock()
		if changed {
			p.changed()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// health is a target's state; a target not probed yet is down.
func (p *probers) health(t target) health {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h, ok := p.state[t]; ok {
		return *h
	}
	return health{}
}

// wait returns once every prober has stopped (after ctx of set ends).
func (p *probers) wait() { p.wg.Wait() }
