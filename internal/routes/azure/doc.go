// Package azure keeps dualnet's routes in an Azure route table through the ARM API (the
// armnetwork SDK): one GET for the table and its etag, the whole difference as one PUT guarded
// by If-Match, so a sync is one write whatever the number of nodes that changed.
//
// It must never change a route outside the cluster pod CIDRs, never send a table with more
// routes than the configured limit, and never know whether the endpoint is Azure or armemu.
package azure
