// Package registry is the lab's own OCI image registry, which every node's containerd pulls
// from instead of docker.io, registry.k8s.io and ghcr.io, so pulls are real pulls
// (imagePullPolicy Always of nginx:latest works) and nothing leaves the machine.
//
// The lab runs it in a namespace on the virtual network and fills it at lab up:
//
//	l, _ := net.Listen("tcp", "10.x.y.z:5000")           // in the registry's namespace
//	go registry.Serve(ctx, l, "/var/cache/dualnet/images/registry")
//	imgs, _ := images.Lab(ctx, sources)                   // internal/lab/images
//	registry.Push(ctx, "10.x.y.z:5000", imgs, registry.PushOptions{
//		Transport: &http.Transport{DialContext: nodens.At(netnsPath).DialContext}, // dial in the namespace
//		Progress:  func(line string) { ... },
//	})
//	registry.WriteMirrors(nodeDir+"/certs.d", "10.x.y.z:5000")
//
// and points each node's containerd at the mirrors with
//
//	[plugins.'io.containerd.cri.v1.images'.registry]
//	  config_path = "<nodeDir>/certs.d"
//
// Serve is go-containerregistry's registry (pkg/registry) over plain HTTP, with its blobs in
// a directory that outlives the lab, so a push into a new registry only sends manifests and
// configs; manifests live in memory, so Push follows every Serve.
//
// Images are stored under <registry>/<repository>, so docker.io/library/nginx:latest is
// <host>/docker.io/library/nginx:latest (MirrorTag). WriteMirrors writes one containerd
// hosts.toml (containerd's docs/hosts.md) per registry, with the lab's registry as the
// server, which containerd tries after every [host] entry, and there are none:
//
//	server = "http://10.x.y.z:5000/v2/docker.io"   # containerd asks <server>/<repository>/manifests/<tag>
//	override_path = true                           # the path is the API root as written: no /v2 added
//	capabilities = ["pull", "resolve"]
//
// plus one for containerd's _default namespace, every other registry, whose path holds no
// image: a pull from quay.io fails as not found instead of leaving the machine. Checked with
// containerd v2.4.2's own resolver (core/remotes/docker/config), which resolved and fetched
// every image through these files and found nothing for quay.io.
//
// It must not reach any registry but the lab's.
package registry
