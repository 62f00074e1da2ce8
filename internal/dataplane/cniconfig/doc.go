// Package cniconfig puts the node's CNI network config, the dualnet-cni binary and the
// upstream plugins chained after it (portmap for hostPort, bandwidth for pods' bandwidth
// annotations) where the container runtime finds them. All land atomically (a temp file in
// the same directory, then rename), because a runtime reading a half-written conflist or
// exec'ing a half-copied plugin fails pod creation; all are left alone when already
// identical, so a restart changes nothing.
// It must not decide addresses: it writes what the agent hands it.
package cniconfig
