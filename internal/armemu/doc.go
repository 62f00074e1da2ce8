// Package armemu is a local stand-in for the Azure Resource Manager route table API: a real
// HTTPS server that answers the calls the armnetwork SDK makes (route tables and their routes:
// GET, PUT, DELETE, list) the way Azure answers them, as docs/arm-route-table-wire.md records:
// weak etags that change on every write, If-Match with Azure's 412 body, long-running
// operation headers, the route limit and its error.
//
// Tests and the lab point the real SDK client at it, so the controller's Azure code path is the
// one exercised. It also injects faults (429 with Retry-After, 500, slow answers) and counts
// requests, so tests can assert how many writes a scenario costs.
//
// It must not grow features Azure does not have. It serves from memory; with
// Options.StateFile it also saves resource groups and tables there after every write and loads
// them at start, so that a restarted endpoint (the lab's, say) still has the tables it had, as
// Azure would.
package armemu
