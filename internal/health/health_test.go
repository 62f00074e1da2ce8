package health

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServerAnswersHealthReadinessAndMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dualnet_test_gauge", Help: "A test gauge."}, func() float64 { return 42 }))
	var notReady atomic.Pointer[error]
	starting := errors.New("node IPAM: existing pod CIDRs not rebuilt yet")
	notReady.Store(&starting)
	s, err := Listen("127.0.0.1:0", reg, func() error {
		if e := notReady.Load(); e != nil {
			return *e
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	base := "http://" + s.Addr().String()

	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not rebuilt") {
		t.Errorf("/readyz while starting: %d %q, want 503 with the reason", code, body)
	}
	notReady.Store(nil)
	if code, _ := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz when ready: %d", code)
	}
	if code, body := get(t, base+"/metrics"); code != http.StatusOK || !strings.Contains(body, "dualnet_test_gauge 42") {
		t.Errorf("/metrics: %d\n%s", code, body)
	}
}

func TestListenNamesTheFlagWhenTheAddressIsTaken(t *testing.T) {
	first, err := Listen("127.0.0.1:0", prometheus.NewRegistry(), func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer first.listener.Close()
	_, err = Listen(first.Addr().String(), prometheus.NewRegistry(), func() error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "--health-addr") {
		t.Errorf("second Listen on %s: %v, want an error naming --health-addr", first.Addr(), err)
	}
}
