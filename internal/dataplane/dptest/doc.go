// Package dptest makes throwaway network namespaces for the dataplane's root tests, named
// dn-<what>-<pid>-<n> so that parallel test binaries never collide, and removed by t.Cleanup
// even when the test fails. It must never touch the host's own interfaces, routes or tables.
package dptest
