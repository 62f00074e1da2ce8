package routes

import (
	"context"
	"errors"
	"time"
)

// Table is what a backend holds, as the controller needs to see it.
type Table struct {
	// Routes are dualnet's: those whose prefix lies inside the cluster pod CIDRs.
	Routes []Route
	// Others counts the routes that are not dualnet's; they take room in the table.
	Others int
	// Version identifies the state read (Azure's etag); Write fails with ErrConflict when the
	// backend has changed since.
	Version string
}

// Backend is where a route table lives: an Azure route table or a Linux router.
type Backend interface {
	// Read returns the table as it is now.
	Read(ctx context.Context) (Table, error)
	// Write makes the backend hold plan.Table as dualnet's routes, keeping every other route
	// untouched. read is the Table the plan was made from.
	Write(ctx context.Context, read Table, plan Plan) error
}

// ErrConflict is returned by Write when the table changed since it was read; read it again,
// plan again, write again.
var ErrConflict = errors.New("route table changed since it was read")

// PartialWriteError is returned by a backend that writes route by route (a Linux router)
// when it refused some routes for what they hold (a next hop it cannot reach) and wrote the
// rest: one node's bad route must not hold back every other node's.
type PartialWriteError struct {
	// Failed are the routes of the plan's Table that the backend refused; the table holds
	// each one's old route or none.
	Failed []RouteError
}

// RouteError is one route a backend could not write, and why.
type RouteError struct {
	Route Route
	Err   error
}

func (e *PartialWriteError) Error() string { return e.Unwrap().Error() }

// Unwrap is the failed routes' errors, joined.
func (e *PartialWriteError) Unwrap() error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return errors.Join(errs...)
}

// Landed is table, the plan's Table the write was given, without the routes that failed:
// what the backend now holds of it.
func (e *PartialWriteError) Landed(table []Route) []Route {
	failed := map[string]bool{}
	for _, f := range e.Failed {
		failed[f.Route.Name] = true
	}
	var out []Route
	for _, r := range table {
		if !failed[r.Name] {
			out = append(out, r)
		}
	}
	return out
}

// ThrottledError is returned by a backend that was told to come back later.
type ThrottledError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *ThrottledError) Error() string { return e.Err.Error() }
func (e *ThrottledError) Unwrap() error { return e.Err }
