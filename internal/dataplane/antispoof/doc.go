// Package antispoof keeps pods from sending with addresses that are not theirs: every frame
// a pod sends into the bridge must carry one of its own addresses (for IPv6, its link-local
// address counts, and so does the unspecified source that neighbour discovery uses), and may
// claim (ARP sender, IPv6 Neighbor Advertisement target) only those, else it is dropped.
//
// The rules live in their own nftables table, `bridge dualnet-antispoof`. The bridge family
// is the one that sees pod-to-pod frames: they are switched by the bridge and never reach
// the inet hooks unless br_netfilter is loaded. The rules are fixed, written once per node;
// a pod is a handful of set elements keyed by the interface index of its host veth
// (`42 . 02:4e:8a:1c:07:d3 . 10.244.1.2`: port, MAC and source address in one key, so
// that a pod's ordinary frame costs one lookup). Frames from a dualnet port (a host veth,
// its name starting with cnicontract.PortPrefix) that is not registered are dropped.
//
// Keys are interface indexes, not names, because the kernel hands out a fresh index for every
// new interface (only root, asking for a given index, can reuse one): the elements of a
// deleted port do not let a new port send, so they need not be deleted the moment the pod
// goes. That matters for speed. It holds within a network namespace: after a reboot, or the
// restart of a node that runs in a container, the indexes start over. So a table that
// outlived its namespace (a ruleset saved with it and loaded again) must go: the table names
// its boot and namespace (boot.go), and Repair replaces one that names others; and the
// address store's first allocation of a boot deletes the table (podveth.HandleEarlierBoot),
// for the first ADD, which does not read the table, may come before the agent. ADD and DEL change
// elements straight over netlink (pod_elements.go, transport_netlink.go), because an nft
// process costs milliseconds, most of a pod start. Adding elements is nearly free, but any
// deletion in nftables makes the commit wait for an RCU grace period (about 10 ms measured on
// Linux 6.18). So DEL does not delete: it sets the pod's elements to expire in a millisecond
// (an update, which costs what an add costs; Linux 6.10 and later), and the kernel's set
// garbage collector removes them. On older kernels the update does nothing and the inert
// elements stay until GC, which deletes for real. The ruleset itself and the rare GC go
// through nft, in text a person can read. Whenever the table is missing or is not the one this
// code writes (flushed by a firewall reload, or left by another dualnet version), the next ADD
// writes it again with the elements of every pod the node has, in one transaction, so no
// running pod is cut off; and the node agent checks the table every minute and does the same
// (Repair), so a node where no pod starts is not left unprotected.
//
// Pods also may not send from another pod's MAC address: the bridge learns where a MAC is
// from the frames it switches, so a forged source MAC would pull another pod's traffic to
// the forger. And they may not act as routers: Router Advertisements and Redirects from a
// pod are dropped. Nor may they send to the reserved link-local groups (01:80:c2:00:00:0X),
// which the bridge would otherwise learn from and hand to the node unchecked.
//
// The table is the plugin's and the agent's both: the plugin (internal/cni) writes it and
// registers and retires pods, the agent (internal/agent) repairs it and removes the
// registrations of deleted pods; the pods themselves come from internal/podveth. The files by
// job: rules.go the fixed ruleset; pod_elements.go a pod's set elements; register.go a pod's
// registration (ADD and DEL); registrations.go what the table holds; gc.go deleting the
// registrations of ports gone; table.go writing the whole table; repair.go finding and mending
// damage; boot.go the boot the table names; transport_netlink.go and transport_nft.go the two
// ways changes reach the kernel; nft_script.go the nft commands transport_nft.go runs, and
// nft_list.go reading the table back from nft.
//
// It must not touch any other table.
package antispoof
