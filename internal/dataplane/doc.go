// Package dataplane groups the Linux node setup that the agent drives: the bridge, sysctls,
// masquerade rules, host routes and the CNI config. Each subpackage owns one concern, works in
// the node's network namespace (see nodens) and is declarative: it is handed the whole desired
// state and changes only what differs. None of them talks to Kubernetes.
package dataplane
