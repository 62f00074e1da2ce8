package armemu

import "net/http"

func (s *Server) listRoutes(w http.ResponseWriter, req request) *armError {
	t, err := s.lookup(req)
	if err != nil {
		return err
	}
	out := wireList[wireRoute]{Value: []wireRoute{}}
	for _, r := range t.Routes {
		out.Value = append(out.Value, t.wireRoute(r))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getRoute(w http.ResponseWriter, req request) *armError {
	t, err := s.lookup(req)
	if err != nil {
		return err
	}
	i := t.routeIndex(req.route)
	if i < 0 {
		return errRouteNotFound(req.group, req.table, req.route)
	}
	w.Header().Set("Etag", t.Etag)
	writeJSON(w, http.StatusOK, t.wireRoute(t.Routes[i]))
	return nil
}

// putRoute creates or replaces one route; a new route counts against the table's limit.
func (s *Server) putRoute(w http.ResponseWriter, req request) *armError {
	t, err := s.lookup(req)
	if err != nil {
		return err
	}
	var body wireRoute
	if err := decodeStrict(req.body, &body); err != nil {
		return err
	}
	body.Name = req.route
	if err := validRoute(body); err != nil {
		return err
	}
	if err := checkIfMatch(req.Request, t); err != nil {
		return err
	}
	i := t.routeIndex(req.route)
	status := http.StatusOK
	if i < 0 {
		if len(t.Routes)+1 > s.opts.RouteLimit {
			return errRouteLimit(t.id(), len(t.Routes)+1, s.opts.RouteLimit)
		}
		t.Routes = append(t.Routes, routeFromWire(body))
		i = len(t.Routes) - 1
		status = http.StatusCreated
	} else {
		t.Routes[i] = routeFromWire(body)
	}
	t.Etag = newEtag()
	s.wrote()
	s.startOperation(w, req, false)
	out := t.wireRoute(t.Routes[i])
	out.Properties.ProvisioningState = "Updating"
	writeJSON(w, status, out)
	return nil
}

func (s *Server) deleteRoute(w http.ResponseWriter, req request) *armError {
	t, err := s.lookup(req)
	if err != nil {
		return err
	}
	i := t.routeIndex(req.route)
	if i < 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	t.Routes = append(t.Routes[:i:i], t.Routes[i+1:]...)
	t.Etag = newEtag()
	s.wrote()
	s.startOperation(w, req, true)
	w.WriteHeader(http.StatusAccepted)
	return nil
}
