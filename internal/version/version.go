// Package version holds the dualnet version, stamped at build time with
// -ldflags "-X github.com/dualnet/dualnet/internal/version.Version=...".
package version

// Version is "dev" in a build that was not stamped.
var Version = "dev"
