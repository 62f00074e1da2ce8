// Package health serves a dualnet process's /healthz, /readyz and Prometheus /metrics: the
// controller's and the node agent's.
//
// It must not know what the process does: readiness is a function and the metrics a
// gatherer, both from the caller.
package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/klog/v2"
)

// Server is the health and metrics endpoint.
type Server struct {
	listener net.Listener
	server   *http.Server
}

// Listen binds addr (":10265", "127.0.0.1:0") and prepares Handler's endpoints.
func Listen(addr string, gatherer prometheus.Gatherer, ready func() error) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--health-addr %s: %w", addr, err)
	}
	return &Server{listener: l, server: &http.Server{Handler: Handler(gatherer, ready), ReadHeaderTimeout: 10 * time.Second}}, nil
}

// Handler answers /healthz with ok while the process serves, /readyz with ok when ready
// returns nil (503 with its error otherwise), and /metrics with the gatherer's metrics.
func Handler(gatherer prometheus.Gatherer, ready func() error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return mux
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// Serve answers until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.server.Shutdown(shutdownCtx)
	}()
	klog.FromContext(ctx).Info("Serving /healthz, /readyz and /metrics", "address", s.listener.Addr().String())
	if err := s.server.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("health server on %s: %w", s.listener.Addr(), err)
	}
	return nil
}
