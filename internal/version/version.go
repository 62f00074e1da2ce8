// Package version holds the dualnet version that every binary prints. `make build` stamps it
// with -ldflags "-X github.com/dualnet/dualnet/internal/version.Version=$(VERSION)", where
// VERSION is `git describe --tags --dirty`, or v0.0.0-<short sha> while the repository has no
// tags (the Makefile).
package version

// Version is "dev" in a build that was not stamped (plain `go build`, `go test`).
var Version = "dev"
