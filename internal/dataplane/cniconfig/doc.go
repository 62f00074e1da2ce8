// Package cniconfig puts the node's CNI network config and the dualnet-cni binary where the
// container runtime finds them. Both land atomically (a temp file in the same directory, then
// rename), because a runtime reading a half-written conflist or exec'ing a half-copied plugin
// fails pod creation; both are left alone when already identical, so a restart changes nothing.
// It must not decide addresses: it writes what the agent hands it.
package cniconfig
