package netspec

import (
	"fmt"
	"slices"
	"strings"
)

// RouteMode says what carries pod traffic between nodes. It is one vocabulary for every
// binary's --routes: a cluster gives the same value to dualnet-controller, dualnet-agent and
// `dualnet lab up`, and each does its part of it (docs/routes.md has the table).
type RouteMode string

const (
	// RoutesAzure: dualnet-controller keeps the routes in the nodes' subnet's Azure route
	// table; the agents add none.
	RoutesAzure RouteMode = "azure"
	// RoutesKernel: dualnet-controller keeps the routes in a Linux router's namespace
	// (--routes-netns); the agents add none.
	RoutesKernel RouteMode = "kernel"
	// RoutesHost: the nodes share a link and every agent routes to the others' pod CIDRs;
	// the controller keeps no route table.
	RoutesHost RouteMode = "host"
	// RoutesNone: dualnet routes nothing between nodes; something else does.
	RoutesNone RouteMode = "none"
)

// RouteModes are every mode, in the order the help texts list them.
var RouteModes = []RouteMode{RoutesAzure, RoutesKernel, RoutesHost, RoutesNone}

// RouteTable says whether dualnet-controller keeps a route table in this mode.
func (m RouteMode) RouteTable() bool { return m == RoutesAzure || m == RoutesKernel }

// AgentRoutes says whether each dualnet-agent routes to the other nodes in this mode.
func (m RouteMode) AgentRoutes() bool { return m == RoutesHost }

// ParseRouteMode checks a --routes value against the modes a binary supports, naming the
// flag and the choices.
func ParseRouteMode(flag, value string, supported ...RouteMode) (RouteMode, error) {
	m := RouteMode(value)
	if slices.Contains(supported, m) {
		return m, nil
	}
	names := make([]string, len(supported))
	for i, s := range supported {
		names[i] = string(s)
	}
	return "", fmt.Errorf("%s=%q: want one of %s", flag, value, strings.Join(names, ", "))
}
