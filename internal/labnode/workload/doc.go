// Package workload is what the lab's pods run instead of container images: a few built-in
// programs chosen by image name. `nginx` serves a welcome page on port 80; `busybox` and
// `agnhost` understand a few test commands (serve, connect, sleep). The lab node starts each
// as a process inside the pod's network namespace (`dualnet lab workload ...`).
//
// It must not pretend to run arbitrary images: an image it does not know is reported by name
// (Builtin), so the pod shows a clear waiting reason instead of a fake success.
package workload
