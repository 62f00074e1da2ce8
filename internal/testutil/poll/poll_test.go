package poll

import (
	"errors"
	"testing"
	"time"
)

func TestUntilReturnsNilOnceTheConditionHolds(t *testing.T) {
	calls := 0
	err := Until(time.Second, time.Millisecond, func() error {
		if calls++; calls < 3 {
			return errNotYet
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("Until = %v after %d calls, want nil after 3", err, calls)
	}
}

func TestUntilReturnsTheLastErrorAfterTheDeadline(t *testing.T) {
	calls := 0
	err := Until(20*time.Millisecond, time.Millisecond, func() error {
		calls++
		return errors.New("state " + string(rune('0'+min(calls, 9))))
	})
	if err == nil || err.Error() != "state "+string(rune('0'+min(calls, 9))) {
		t.Errorf("Until = %v after %d calls, want the last call's error", err, calls)
	}
}

func TestBackoffGrowsFrom10To100Milliseconds(t *testing.T) {
	var got []time.Duration
	var d time.Duration
	for range 6 {
		d = backoff(d)
		got = append(got, d/time.Millisecond)
	}
	want := []time.Duration{10, 20, 40, 80, 100, 100}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("intervals = %v ms, want %v ms", got, want)
		}
	}
}

func TestMetIsNilWhenOKAndOtherwiseSaysTheState(t *testing.T) {
	if err := Met(true, "x"); err != nil {
		t.Errorf("Met(true) = %v", err)
	}
	if err := Met(false, "3 nodes"); err == nil || err.Error() != "3 nodes" {
		t.Errorf("Met(false, state) = %v, want the state", err)
	}
	if err := Met(false, ""); err == nil || err.Error() != "not yet" {
		t.Errorf("Met(false, \"\") = %v, want not yet", err)
	}
}
