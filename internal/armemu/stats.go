package armemu

// Stats counts what reached the server, for tests and benchmarks.
type Stats struct {
	// Requests is every request, polls of operations included.
	Requests int
	// Reads counts GETs of tables and routes (not operation polls).
	Reads int
	// Writes counts PUTs and DELETEs that changed state.
	Writes int
	// WriteAttempts counts every PUT and DELETE received, whatever the answer.
	WriteAttempts int
	// TablePuts counts route table PUTs received; RoutesPerTablePut lists the number of routes
	// in each, in order.
	TablePuts         int
	RoutesPerTablePut []int
	// LargestTablePut is the most routes any table PUT asked for.
	LargestTablePut int
	// Faults counts requests answered by an injected fault status.
	Faults int
	// ConditionalReads counts GETs that carried If-Match, polls of operations included.
	// docs/arm-route-table-wire.md has If-Match on writes only: what ARM makes of it on a read
	// is not recorded, so a client should not send it there.
	ConditionalReads int
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stats
	c.RoutesPerTablePut = append([]int(nil), s.stats.RoutesPerTablePut...)
	return c
}

// ResetStats zeroes the counters (after a test's setup, say).
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{}
}
