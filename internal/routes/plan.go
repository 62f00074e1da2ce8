package routes

import (
	"slices"
	"strings"
)

// Plan is the difference between the routes a backend holds and the routes the nodes need,
// bounded by the room the backend has.
type Plan struct {
	// Table is every dualnet route the backend should hold after the write, sorted by name.
	Table   []Route
	Added   []Route
	Updated []Route
	Removed []Route
	// Unfit lists the nodes that still miss routes because the table has no room for them.
	Unfit []string
}

// Changed reports whether applying the plan writes anything.
func (p Plan) Changed() bool {
	return len(p.Added)+len(p.Updated)+len(p.Removed) > 0
}

// MakePlan diffs current (the dualnet routes the backend holds, i.e. those inside the cluster
// pod CIDRs) against desired, with room for at most `room` dualnet routes.
//
// Routes are removed and updated first; then nodes, in desired's order, get their missing
// routes only if all of them fit, so a node is never half routed by choice. A route that exists
// is never dropped to make room for another: if current alone exceeds room, nothing is added.
func MakePlan(current []Route, desired []NodeRoutes, room int) Plan {
	want := map[string]Route{}
	for _, nr := range desired {
		for _, r := range nr.Routes {
			want[r.Name] = r
		}
	}
	var p Plan
	have := map[string]bool{}
	for _, r := range current {
		w, ok := want[r.Name]
		switch {
		case !ok || have[r.Name]:
			// Not needed, or a second route under one name (only a foreign writer makes those).
			p.Removed = append(p.Removed, r)
			continue
		case w != r:
			p.Updated = append(p.Updated, w)
			p.Table = append(p.Table, w)
		default:
			p.Table = append(p.Table, r)
		}
		have[r.Name] = true
	}
	for _, nr := range desired {
		var missing []Route
		for _, r := range nr.Routes {
			if !have[r.Name] {
				missing = append(missing, r)
			}
		}
		if len(missing) == 0 {
			continue
		}
		if len(p.Table)+len(missing) > room {
			p.Unfit = append(p.Unfit, nr.Node)
			continue
		}
		for _, r := range missing {
			have[r.Name] = true
			p.Added = append(p.Added, r)
			p.Table = append(p.Table, r)
		}
	}
	slices.SortFunc(p.Table, func(a, b Route) int { return strings.Compare(a.Name, b.Name) })
	return p
}

// Routed reports whether every route of nr is in table and nr is complete: the node's pods are
// reachable from the rest of the cluster (NetworkUnavailable=False).
func Routed(nr NodeRoutes, table []Route) bool {
	if !nr.Complete {
		return false
	}
	for _, r := range nr.Routes {
		if !slices.Contains(table, r) {
			return false
		}
	}
	return true
}
