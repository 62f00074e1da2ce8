// Package dptest makes throwaway network namespaces for the dataplane's root tests, named
// dn-<what>-dptest<pid>-<n> so that parallel test binaries never collide, and removed by
// t.Cleanup even when the test fails. A test process that dies without its cleanup (a
// -timeout panic, a kill) leaves its namespaces behind; the next process's first
// NewNamespace sweeps those whose PID is gone, and only names of that exact shape. It must
// never touch the host's own interfaces, routes or tables.
package dptest
