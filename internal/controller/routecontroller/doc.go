// Package routecontroller is the route controller (named as kube-controller-manager names its
// own): it watches nodes, computes the route table they need (internal/routes), writes the
// difference to a backend (an Azure route table or a Linux router) in coalesced batches, and
// reports each node's NetworkUnavailable condition and, when the table is full, a
// RouteTableFull event.
//
// It must not know which backend it drives, must never write a table over --max-routes, and
// must never drop an existing route to make room for another.
package routecontroller
