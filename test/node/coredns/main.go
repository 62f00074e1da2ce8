// Command coredns is CoreDNS (github.com/coredns/coredns at the version go.mod pins, the one
// kubeadm v1.37.2 deploys) with only the plugins a lab cluster's DNS uses, so the binary and
// its dependency graph stay small.
//
// Upstream's main links every plugin through core/plugin (generated from plugin.cfg) and runs
// them in the order of dnsserver.Directives (core/dnsserver/zdirectives.go, also generated
// from plugin.cfg). Here each plugin is linked by its blank import and directives lists the
// same plugins in plugin.cfg's relative order: that order, not the Corefile's, is the order a
// query passes through them, so it must not be changed. A Corefile that names any other
// plugin fails to load, naming the directive.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/template"
)

// directives is plugin.cfg's order restricted to the plugins imported above, and prometheus
// (plugin/metrics, linked anyway: cache imports it), so kubeadm's default Corefile loads
// unchanged. A query meets them top to bottom.
var directives = []string{
	"reload",
	"ready",
	"health",
	"prometheus",
	"errors",
	"log",
	"loadbalance",
	"cache",
	"template",
	"hosts",
	"kubernetes",
	"loop",
	"forward",
}

func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
