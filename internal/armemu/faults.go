package armemu

import (
	"net/http"
	"strconv"
	"time"
)

// Fault is a misbehaviour to inject into the next matching requests.
type Fault struct {
	// Method limits the fault to one HTTP method ("PUT", "GET", "DELETE"); empty matches all.
	Method string
	// Status to answer instead of serving the request: 429 (with RetryAfter) or 500, say.
	// Zero serves the request normally, after Delay.
	Status int
	// RetryAfter is sent as the Retry-After header (whole seconds) with the fault status.
	RetryAfter time.Duration
	// Delay before answering. A delayed write is still applied, as ARM applies a write whose
	// client has gone away.
	Delay time.Duration
	// Times is how many matching requests the fault hits; negative means until ClearFaults.
	Times int
}

// AddFault queues a fault; faults are tried in the order added.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the fault for this request, if any, using up one of its Times.
// Called with s.mu held.
func (s *Server) takeFault(method string) *Fault {
	for i, f := range s.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		taken := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &taken
	}
	return nil
}

func faultError(f *Fault) *armError {
	switch f.Status {
	case http.StatusTooManyRequests:
		e := newError(f.Status, "SubscriptionRequestsThrottled",
			"Number of write requests for subscription exceeded the limit. Please try again after '%d' seconds.", int(f.RetryAfter.Seconds()))
		e.headers = http.Header{"Retry-After": {strconv.Itoa(int(f.RetryAfter.Seconds()))}}
		return e
	default:
		return newError(f.Status, "InternalServerError", "An error occurred.")
	}
}

// sleep waits d unless the server is closing.
func (s *Server) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.closed:
	}
}
