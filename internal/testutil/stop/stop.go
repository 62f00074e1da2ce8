// Package stop is test support for the components' Run loops: a stop is a clean stop, however
// early it comes. Only tests import it.
package stop

import (
	"context"
	"testing"
	"time"
)

// WhileStartingIsClean calls run with a context that has already ended, so that no informer
// can have synced when run waits for it, and fails the test unless run returns nil (a clean
// stop) within 30 seconds.
func WhileStartingIsClean(t *testing.T, run func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run stopped while starting = %v, want nil (a clean stop)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of a stop while starting")
	}
}
