// Package podveth is a pod's veth pair as dualnet names it: the host end's name and both
// ends' MACs, all derived from the attachment (podipam.Key), and the lookups that read them
// back from the node. The CNI plugin creates and deletes the pairs; the node agent uses this
// package to list the pods whose ports exist (what the anti-spoofing table must hold) and to
// release what an earlier boot left in the address store. Neither needs state of its own to
// find a pod's ports, and the agent does not import the plugin's verbs.
//
// It must not create, change or delete links: that is the plugin's job (internal/cni).
package podveth
