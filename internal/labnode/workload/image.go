package workload

import "strings"

// Builtin names the built-in program for an image reference, or "" when there is none:
// "nginx:latest", "docker.io/library/nginx@sha256:..." and
// "registry.k8s.io/e2e-test-images/agnhost:2.53" are nginx, nginx and agnhost.
func Builtin(image string) string {
	name := image
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	switch name {
	case "nginx", "busybox", "agnhost":
		return name
	}
	return ""
}

// Names lists the built-in images, for messages.
const Names = "nginx, busybox, agnhost"
