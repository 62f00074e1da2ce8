package agent

import (
	"context"
	"errors"
	"net/http"

	"github.com/dualnet/dualnet/internal/health"
)

// errNotReady is /readyz's answer until a sync put the node's dataplane in place.
var errNotReady = errors.New("node dataplane not in place yet")

// HealthHandler answers /healthz (the process lives), /readyz (the node's dataplane and CNI
// config are in place, as of the last sync) and /metrics (metrics.go).
func (a *Agent) HealthHandler() http.Handler {
	return health.Handler(a.metrics.registry, a.readiness)
}

// ServeHealth serves HealthHandler's endpoints on addr until ctx ends.
func (a *Agent) ServeHealth(ctx context.Context, addr string) error {
	s, err := health.Listen(addr, a.metrics.registry, a.readiness)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

func (a *Agent) readiness() error {
	if !a.Ready() {
		return errNotReady
	}
	return nil
}
