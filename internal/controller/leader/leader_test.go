package leader

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

func testConfig(t *testing.T) Config {
	cfg := DefaultConfig(strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")))
	cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = 5*time.Second, 4*time.Second, 200*time.Millisecond
	return cfg
}

func TestOneOfTwoElectorsLeadsAndTheOtherTakesOverWhenItStops(t *testing.T) {
	cfg := testConfig(t)
	electors := make([]*Elector, 2)
	cancels := make([]context.CancelFunc, 2)
	results := make([]chan error, 2)
	working := make(chan int, 2)
	for i := range electors {
		e, err := New(kubetest.Client(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		electors[i], results[i] = e, make(chan error, 1)
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i] = cancel
		t.Cleanup(cancel)
		go func() {
			results[i] <- e.Run(ctx, func(ctx context.Context) error {
				working <- i
				<-ctx.Done()
				return nil
			})
		}()
	}
	first := <-working
	other := 1 - first
	poll.Eventually(t, 30*time.Second, "the leader reports leading", func() error { return poll.Met(electors[first].Leading(), "") })
	if electors[other].Leading() {
		t.Fatal("both electors lead")
	}
	cancels[first]()
	if err := <-results[first]; err != nil {
		t.Errorf("the stopped leader's Run: %v, want nil", err)
	}
	if got := <-working; got != other {
		t.Fatalf("elector %d worked again", got)
	}
	poll.Eventually(t, 30*time.Second, "the other elector leads", func() error { return poll.Met(electors[other].Leading(), "") })
}

func TestWorkThatFailsEndsLeadershipWithItsError(t *testing.T) {
	e, err := New(kubetest.Client(), testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("cannot start the controllers")
	done := make(chan error, 1)
	go func() { done <- e.Run(context.Background(), func(context.Context) error { return boom }) }()
	select {
	case err := <-done:
		if !errors.Is(err, boom) {
			t.Errorf("Run: %v, want the work's error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run kept leading after the work failed")
	}
	if e.Leading() {
		t.Error("still reports leading")
	}
}

func TestCheckNamesTheFlagOfATimingThatCannotWork(t *testing.T) {
	tests := []struct {
		change func(*Config)
		flag   string
	}{
		{func(c *Config) { c.RetryPeriod = 0 }, "--leader-elect-retry-period"},
		{func(c *Config) { c.RenewDeadline = c.RetryPeriod }, "--leader-elect-renew-deadline"},
		{func(c *Config) { c.LeaseDuration = c.RenewDeadline }, "--leader-elect-lease-duration"},
		{func(c *Config) { c.Name = "" }, "--leader-elect-resource-name"},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			cfg := DefaultConfig("x")
			tt.change(&cfg)
			err := cfg.Check()
			if err == nil || !strings.HasPrefix(err.Error(), tt.flag) {
				t.Errorf("Check: %v, want an error naming %s", err, tt.flag)
			}
		})
	}
	disabled := DefaultConfig("x")
	disabled.Enabled, disabled.RetryPeriod = false, 0
	if err := disabled.Check(); err != nil {
		t.Errorf("timings do not matter without election: %v", err)
	}
}
