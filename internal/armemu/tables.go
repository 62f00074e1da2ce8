package armemu

import (
	"net/http"
	"sort"
	"strings"

	"github.com/google/uuid"
)

func newTable(sub, group, name, location string) *table {
	return &table{Table: Table{Subscription: sub, ResourceGroup: group, Name: name, Location: location, Etag: newEtag()},
		guid: uuid.NewString()}
}

func (s *Server) lookup(req request) (*table, *armError) {
	t := s.tables[keyOf(req.sub, req.group, req.table)]
	if t == nil {
		return nil, errTableNotFound(req.group, req.table)
	}
	return t, nil
}

func (s *Server) getTable(w http.ResponseWriter, req request) *armError {
	t, err := s.lookup(req)
	if err != nil {
		return err
	}
	w.Header().Set("Etag", t.Etag)
	writeJSON(w, http.StatusOK, t.wire("Succeeded"))
	return nil
}

func (s *Server) listTables(w http.ResponseWriter, req request) {
	var keys []tableKey
	for k := range s.tables {
		if k.sub == lower(req.sub) && k.group == lower(req.group) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].name < keys[j].name })
	out := wireList[wireRouteTable]{Value: []wireRouteTable{}}
	for _, k := range keys {
		out.Value = append(out.Value, s.tables[k].wire("Succeeded"))
	}
	writeJSON(w, http.StatusOK, out)
}

// putTable creates or replaces a table. The body's route list replaces the table's: routes
// left out are deleted, as on Azure.
func (s *Server) putTable(w http.ResponseWriter, req request) *armError {
	var body wireRouteTable
	if err := decodeStrict(req.body, &body); err != nil {
		return err
	}
	k := keyOf(req.sub, req.group, req.table)
	t := s.tables[k]
	if err := checkIfMatch(req.Request, t); err != nil {
		return err
	}
	if t != nil && req.Header.Get("If-None-Match") == "*" {
		return newError(http.StatusPreconditionFailed, "PreconditionFailed", "Precondition failed.")
	}
	if t == nil && body.Location == "" {
		return newError(http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
	}
	seen := map[string]bool{}
	var routes []Route
	for _, r := range body.Properties.Routes {
		if err := validRoute(r); err != nil {
			return err
		}
		if seen[lower(r.Name)] {
			return newError(http.StatusBadRequest, "InvalidRequestFormat", "Cannot parse the request: route name %s appears twice.", r.Name)
		}
		seen[lower(r.Name)] = true
		routes = append(routes, routeFromWire(r))
	}
	created := t == nil
	if created {
		t = newTable(req.sub, req.group, req.table, body.Location)
	}
	if len(routes) > s.opts.RouteLimit {
		return errRouteLimit(t.id(), len(routes), s.opts.RouteLimit)
	}
	t.Routes = routes
	t.tags = body.Tags
	t.disableBgp = body.Properties.DisableBgpRoutePropagation
	t.Etag = newEtag()
	s.tables[k] = t
	s.wrote()

	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.startOperation(w, req, false)
	writeJSON(w, status, t.wire("Updating"))
	return nil
}

func (s *Server) deleteTable(w http.ResponseWriter, req request) {
	k := keyOf(req.sub, req.group, req.table)
	if s.tables[k] == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	delete(s.tables, k)
	s.wrote()
	s.startOperation(w, req, true)
	w.WriteHeader(http.StatusAccepted)
}

// startOperation records a long-running operation and sets the headers that point the SDK's
// poller at it. Deletes also carry Location, as Azure's do.
func (s *Server) startOperation(w http.ResponseWriter, req request, withLocation bool) {
	id := uuid.NewString()
	s.operations[id] = s.opts.OperationPolls
	location := "westeurope"
	if t := s.tables[keyOf(req.sub, req.group, req.table)]; t != nil && t.Location != "" {
		location = strings.ReplaceAll(strings.ToLower(t.Location), " ", "")
	}
	base := s.url + "/subscriptions/" + req.sub + "/providers/Microsoft.Network/locations/" + location
	query := "?api-version=" + req.URL.Query().Get("api-version")
	w.Header().Set("Azure-AsyncOperation", base+"/operations/"+id+query)
	w.Header().Set("Azure-AsyncNotification", "Enabled")
	if withLocation {
		w.Header().Set("Location", base+"/operationResults/"+id+query)
	}
}

func (s *Server) getOperation(w http.ResponseWriter, req request) {
	left, ok := s.operations[req.operation]
	if !ok {
		writeError(w, newError(http.StatusNotFound, "NotFound", "Operation %s not found.", req.operation))
		return
	}
	if left > 0 {
		s.operations[req.operation] = left - 1
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusOK, wireOperation{Status: "InProgress"})
		return
	}
	writeJSON(w, http.StatusOK, wireOperation{Status: "Succeeded"})
}
