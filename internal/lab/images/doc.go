// Package images builds the container images of dualnet's lab, with no container engine, for
// the lab's own registry (internal/lab/registry) to serve to every node's containerd:
//
//	registry.k8s.io/pause:3.10.2                     /pause (cmd/dualnet-pause), user 65535: the sandbox image
//	docker.io/library/nginx:latest                   the shell layers, Debian's nginx: the welcome page on port
//	registry.k8s.io/e2e-test-images/nginx:1.27.0-2     80, IPv4 and IPv6, logs on stdout/stderr,
//	registry.k8s.io/e2e-test-images/nginx:1.28.0-2     CMD nginx -g 'daemon off;'
//	docker.io/library/busybox:latest                 Debian's busybox-static, a link in /bin for each applet,
//	                                                   CMD ["sh"]
//	registry.k8s.io/e2e-test-images/busybox:1.37.0-2 the same with bash as /bin/sh (busybox.go says why)
//	registry.k8s.io/e2e-test-images/nonroot:1.5      busybox's, user 1234
//	registry.k8s.io/e2e-test-images/agnhost:2.66.1   the shell layers, dig, iperf 2, porter's TLS pair, /coredns,
//	registry.k8s.io/e2e-test-images/agnhost:2.55       /agnhost; ENTRYPOINT ["/agnhost"], CMD ["pause"]
//	registry.k8s.io/build-image/distroless-iptables:v0.9.9   the shell layers and conntrack
//	registry.k8s.io/e2e-test-images/glibc-dns-testing:2.1.1  the shell layers, dig, /coredns
//	registry.k8s.io/coredns/coredns:<tag>            /coredns, user 65532
//	registry.k8s.io/kube-proxy:<version>             /usr/local/bin/kube-proxy and nft (the nftables mode)
//	ghcr.io/dualnet/dualnet:<version>                make image's tarball, as it is
//
// The shell layers are busybox's layer (ls, cat, ps, env, hostname, sleep, grep, wget, ...)
// and one of dash as /bin/sh, bash with Debian's bash.bashrc and terminfo, curl, OpenBSD
// nc, GNU wget and glibc's getent: what users `kubectl exec` in upstream's Debian nginx and alpine agnhost, and what the
// e2e suite runs in agnhost. nginx and agnhost share both blobs.
//
// Each follows its upstream image's config (entrypoint, command, user, PATH). The programs come
// from this machine's Debian packages (nginx-light, busybox-static, curl, netcat-openbsd:
// scripts/install-prereqs.sh installs them; dash, bash and ncurses-base are in every Debian),
// each with exactly the loader and libraries it loads (internal/image), and from the binaries
// named in Sources:
//
//	imgs, err := images.Lab(ctx, images.Sources{
//		Pause: "bin/dualnet-pause", Agnhost: kubeBin + "/agnhost",
//		CoreDNS: coreDNSBin, CoreDNSTag: "v1.12.1", KubeProxy: kubeBin + "/kube-proxy",
//		KubeProxyTag: "v1.37.2", DualnetTar: "bin/dualnet-image.tar",
//		Progress: func(line string) { ... },
//	})
//
// then registry.Push(ctx, host, imgs, ...) uploads them. Every time in an image is fixed, so the
// same inputs give the same digests. Layers are kept compressed in Sources.CacheDir
// (DefaultCacheDir, /var/cache/dualnet/images/layers) under the digest of their content: a
// second lab up reads and hashes its inputs but compresses nothing. Measured on a busy 2-core
// machine with the real agnhost and dualnet tarball: 5.7 s to build every image into an empty
// cache, 0.6 s from the cache; 123 MB of blobs (agnhost 33.2, dualnet 59, CoreDNS about 24;
// nginx adds 4.7 to the 11.3 it shares with agnhost).
//
// It reads files, and runs the host's busybox once to list its applets; it must not run
// anything else, nor need a container engine or the network.
package images
