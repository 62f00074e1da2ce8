// Package cnitest drives CNI plugins the way a container runtime does, for the plugin's
// acceptance tests and for bench/cni: it builds plugin binaries, runs the caller inside a
// throwaway network namespace that plays the node, makes named pod namespaces (dn-...), and
// calls the plugins through libcni.
//
// It must never touch the host's interfaces, routes or nftables: everything it creates lives
// in namespaces it made, which go away with the process or with the returned cleanup.
package cnitest
