// Package routes is the route controller benchmark: on a real kube-apiserver and a local ARM
// endpoint (armemu), the wall time and the number of ARM writes for a scale-up from 0 to 200
// dual-stack nodes, and the time until a node joining a 200-node cluster has its routes.
//
//	bench/routes/run.sh                 (go test -run '^$' -bench . -benchtime 1x ./bench/routes)
//	bench/routes/run.sh -put-latency 2s (each ARM PUT answers after 2s, as Azure's can)
//
// For reference, upstream cloud-provider-azure batches route changes over 30 s and waits 30 s
// after each write, so a joining node waits 30 to 60 s for its routes.
package routes
