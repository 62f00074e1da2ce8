// Package kernel keeps dualnet's routes in the main routing table of a Linux network namespace
// (the lab's vnet router, or any router on the nodes' shared network) through netlink.
//
// Every route it writes carries routes.KernelProtocol, and it only ever lists, replaces or
// deletes routes with that protocol inside the cluster pod CIDRs: other routes in the
// namespace are not its business.
package kernel
