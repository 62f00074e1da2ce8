// Package poll is test support: wait for state with a deadline instead of sleeping. Only
// tests and test-helper packages import it; production loops use informers and workqueues.
package poll

import "time"

// Until calls cond every interval until it returns nil, and returns nil then. Once within has
// passed after a failing call, it returns that call's error, so callers can report the last
// state seen.
func Until(within, interval time.Duration, cond func() error) error {
	deadline := time.Now().Add(within)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(interval) // the poll interval, not a wait for state
	}
}
