package controlplane

import (
	"context"
	"time"
)

// pollInterval is short because start-up time is what tests wait on.
const pollInterval = 100 * time.Millisecond

// waitReady polls probe until it succeeds, and fails as soon as the process exits or ctx ends,
// with the process's log tail and the last probe error.
func waitReady(ctx context.Context, p *process, what string, probe func(context.Context) error) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last error
	for {
		if last = probe(ctx); last == nil {
			return nil
		}
		select {
		case <-p.done:
			return p.failure("exited before " + what + " (last check: " + last.Error() + ")")
		case <-ctx.Done():
			return p.failure("not " + what + " in time (last check: " + last.Error() + ")")
		case <-tick.C:
		}
	}
}
