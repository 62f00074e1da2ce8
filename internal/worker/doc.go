// Package worker is the loop shape of every dualnet controller, the one the Kubernetes
// controllers use: events add keys to a client-go rate-limiting workqueue, and one goroutine
// takes them one at a time and processes each. The workqueue folds a key added many times
// into one, never hands the same key to two workers, and spaces out the retries of a key
// that keeps failing. Node IPAM's keys are node names; the agent's and the route
// controller's are a single key for the whole state they sync, and the lab load balancer's
// are two: a sync of everything and a rewrite of its report.
//
// The package only runs the queue: what a key means, and which events add it, is the
// controller's.
package worker
