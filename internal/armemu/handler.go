package armemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// request is one parsed ARM call.
type request struct {
	*http.Request
	body                                []byte
	sub, group, table, route, operation string
	// kind is what the path names: "operation", "operationResult", "tables" (list),
	// "table", "routes" (list) or "route".
	kind string
}

// ServeHTTP answers one ARM call: faults first, then authentication, then the resource.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, perr := parsePath(r, body)

	s.mu.Lock()
	s.stats.Requests++
	write := r.Method == http.MethodPut || r.Method == http.MethodDelete
	if write {
		s.stats.WriteAttempts++
	}
	if r.Method == http.MethodGet && r.Header.Get("If-Match") != "" {
		s.stats.ConditionalReads++
	}
	if r.Method == http.MethodPut && req.kind == "table" {
		s.countTablePut(body)
	}
	fault := s.takeFault(r.Method)
	s.mu.Unlock()

	w.Header().Set("x-ms-request-id", uuid.NewString())
	w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", "11999")
	w.Header().Set("x-ms-ratelimit-remaining-subscription-writes", "1199")
	if fault != nil && fault.Delay > 0 {
		s.sleep(fault.Delay)
	}
	if fault != nil && fault.Status != 0 {
		s.mu.Lock()
		s.stats.Faults++
		s.mu.Unlock()
		writeError(w, faultError(fault))
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		writeError(w, newError(http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."))
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		writeError(w, newError(http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."))
		return
	}
	if perr != nil {
		writeError(w, perr)
		return
	}
	s.serve(w, req)
}

func (s *Server) countTablePut(body []byte) {
	var t wireRouteTable
	_ = json.Unmarshal(body, &t)
	n := len(t.Properties.Routes)
	s.stats.TablePuts++
	s.stats.RoutesPerTablePut = append(s.stats.RoutesPerTablePut, n)
	s.stats.LargestTablePut = max(s.stats.LargestTablePut, n)
}

// parsePath maps the URL onto the resources armemu knows:
//
//	/subscriptions/{s}/providers/Microsoft.Network/locations/{l}/operations/{id}
//	/subscriptions/{s}/providers/Microsoft.Network/locations/{l}/operationResults/{id}
//	/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Network/routeTables[/{t}[/routes[/{r}]]]
func parsePath(r *http.Request, body []byte) (request, *armError) {
	req := request{Request: r, body: body}
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	is := func(i int, name string) bool { return len(seg) > i && strings.EqualFold(seg[i], name) }
	notFound := newError(http.StatusNotFound, "InvalidResourceType", "The resource type could not be found in the namespace 'Microsoft.Network' for path %s.", r.URL.Path)
	if !is(0, "subscriptions") || len(seg) < 4 {
		return req, notFound
	}
	req.sub = seg[1]
	switch {
	case is(2, "providers") && is(3, "Microsoft.Network") && is(4, "locations") && len(seg) == 8:
		req.operation = seg[7]
		switch {
		case is(6, "operations"):
			req.kind = "operation"
		case is(6, "operationResults"):
			req.kind = "operationResult"
		default:
			return req, notFound
		}
		return req, nil
	case is(2, "resourceGroups") && is(4, "providers") && is(5, "Microsoft.Network") && is(6, "routeTables"):
		req.group = seg[3]
		switch {
		case len(seg) == 7:
			req.kind = "tables"
		case len(seg) == 8:
			req.kind, req.table = "table", seg[7]
		case len(seg) == 9 && is(8, "routes"):
			req.kind, req.table = "routes", seg[7]
		case len(seg) == 10 && is(8, "routes"):
			req.kind, req.table, req.route = "route", seg[7], seg[9]
		default:
			return req, notFound
		}
		return req, nil
	}
	return req, notFound
}

func (s *Server) serve(w http.ResponseWriter, req request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.kind != "operation" && req.kind != "operationResult" && !s.groups[groupKey{lower(req.sub), lower(req.group)}] {
		writeError(w, errGroupNotFound(req.group))
		return
	}
	var err *armError
	switch req.Method + " " + req.kind {
	case "GET operation":
		s.getOperation(w, req)
	case "GET operationResult":
		w.WriteHeader(http.StatusNoContent)
	case "GET tables":
		s.stats.Reads++
		s.listTables(w, req)
	case "GET table":
		s.stats.Reads++
		err = s.getTable(w, req)
	case "PUT table":
		err = s.putTable(w, req)
	case "DELETE table":
		s.deleteTable(w, req)
	case "GET routes":
		s.stats.Reads++
		err = s.listRoutes(w, req)
	case "GET route":
		s.stats.Reads++
		err = s.getRoute(w, req)
	case "PUT route":
		err = s.putRoute(w, req)
	case "DELETE route":
		err = s.deleteRoute(w, req)
	default:
		err = newError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The method %s is not allowed on %s.", req.Method, req.URL.Path)
	}
	if err != nil {
		writeError(w, err)
	}
}

func lower(s string) string { return strings.ToLower(s) }

func decodeStrict(body []byte, v any) *armError {
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(v); err != nil {
		return newError(http.StatusBadRequest, "InvalidRequestFormat", "Cannot parse the request: %v.", err)
	}
	return nil
}
