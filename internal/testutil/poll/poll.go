// Package poll is test support: wait for state with a deadline instead of sleeping. Only
// tests and test-helper packages import it; production loops use informers and workqueues.
// Tests wait with Eventually; Until is the same loop for callers that handle the failure
// themselves (a benchmark's wait for idle CPUs).
package poll

import (
	"errors"
	"testing"
	"time"
)

// Eventually calls cond until it returns nil. Once within has passed after a failing call, it
// fails the test with what was awaited and that call's error, the last state seen. It polls
// every 10 ms at first and backs off to every 100 ms, so that a quick condition is seen
// quickly and a slow one (an API server list, an HTTP probe) is not asked too often.
func Eventually(t testing.TB, within time.Duration, what string, cond func() error) {
	t.Helper()
	if err := until(within, backoff, cond); err != nil {
		t.Fatalf("%s: not within %s: %v", what, within, err)
	}
}

// Met is nil when ok, and otherwise an error saying state (or "not yet" when state is empty):
// the last state Eventually reports for a condition that is a boolean.
func Met(ok bool, state string) error {
	switch {
	case ok:
		return nil
	case state == "":
		return errNotYet
	default:
		return errors.New(state)
	}
}

var errNotYet = errors.New("not yet")

// Until calls cond every interval until it returns nil, and returns nil then. Once within has
// passed after a failing call, it returns that call's error, so callers can report the last
// state seen.
func Until(within, interval time.Duration, cond func() error) error {
	return until(within, func(time.Duration) time.Duration { return interval }, cond)
}

// backoff doubles the interval from 10 ms up to 100 ms.
func backoff(last time.Duration) time.Duration {
	return min(max(2*last, 10*time.Millisecond), 100*time.Millisecond)
}

func until(within time.Duration, next func(last time.Duration) time.Duration, cond func() error) error {
	deadline := time.Now().Add(within)
	var interval time.Duration
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		interval = next(interval)
		time.Sleep(interval) // the poll interval, not a wait for state
	}
}
