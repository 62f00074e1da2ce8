package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/spf13/pflag"

	"github.com/dualnet/dualnet/internal/controller/routecontroller"
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/routes"
	"github.com/dualnet/dualnet/internal/routes/azure"
	"github.com/dualnet/dualnet/internal/routes/kernel"
)

// Route modes (--routes, netspec.RouteMode): the controller keeps a route table in azure and
// kernel, and none in host (the agents route) or none.
const (
	routesAzure  = string(netspec.RoutesAzure)
	routesKernel = string(netspec.RoutesKernel)
	routesHost   = string(netspec.RoutesHost)
	routesNone   = string(netspec.RoutesNone)
)

// Azure credentials (--azure-credential).
const (
	credentialDefault = "default"
	credentialNone    = "none"
)

// routeOptions are the route controller's flags.
type routeOptions struct {
	backend                                   string
	subscriptionID, resourceGroup, routeTable string
	endpoint, caFile, credential              string
	netns                                     string
	resync                                    time.Duration

	caPool *x509.CertPool // --azure-ca-file's certificates, read by check
}

func (o *routeOptions) addFlags(fs *pflag.FlagSet) {
	o.backend, o.credential, o.resync = routesNone, credentialDefault, 30*time.Second
	fs.StringVar(&o.backend, "routes", o.backend, "what carries pod traffic between nodes, the cluster's value (docs/routes.md): azure (this controller keeps the subnet's Azure route table), kernel (a Linux router's routes), host (the agents route; no table), none (something else does)")
	fs.StringVar(&o.subscriptionID, "azure-subscription-id", "", "with --routes=azure: subscription of the route table")
	fs.StringVar(&o.resourceGroup, "azure-resource-group", "", "with --routes=azure: resource group of the route table")
	fs.StringVar(&o.routeTable, "azure-route-table", "", "with --routes=azure: the route table of the nodes' subnet")
	fs.StringVar(&o.endpoint, "azure-endpoint", "", "with --routes=azure: Resource Manager URL; empty: Azure public cloud (a local dualnet-armemu: its URL)")
	fs.StringVar(&o.caFile, "azure-ca-file", "", "with --routes=azure: PEM certificate(s) to trust for --azure-endpoint (dualnet-armemu --cert-file)")
	fs.StringVar(&o.credential, "azure-credential", o.credential, "with --routes=azure: default (workload/managed identity, environment, Azure CLI) or none (a fixed token; only with --azure-endpoint, for dualnet-armemu)")
	fs.StringVar(&o.netns, "routes-netns", "", "with --routes=kernel, required: network namespace of the router (name under "+netns.Dir+", or a path), or "+kernel.HostNetNS+" for this process's own")
	fs.DurationVar(&o.resync, "routes-resync", o.resync, "how often the route table is read and repaired without node changes")
}

// check names the flag of anything wrong, before anything connects.
func (o *routeOptions) check() error {
	switch o.backend {
	case routesNone, routesHost:
	case routesKernel:
		// No default: an empty value would program this host's main table unasked.
		if o.netns == "" {
			return fmt.Errorf("--routes-netns is required with --routes=kernel: a network namespace name (under %s), its path, or %q for this process's own", netns.Dir, kernel.HostNetNS)
		}
	case routesAzure:
		for flag, v := range map[string]string{
			"--azure-subscription-id": o.subscriptionID, "--azure-resource-group": o.resourceGroup, "--azure-route-table": o.routeTable,
		} {
			if v == "" {
				return fmt.Errorf("%s is required with --routes=azure", flag)
			}
		}
		if o.credential != credentialDefault && o.credential != credentialNone {
			return fmt.Errorf("--azure-credential: %q is not a credential: use %s or %s", o.credential, credentialDefault, credentialNone)
		}
		if o.credential == credentialNone && o.endpoint == "" {
			return fmt.Errorf("--azure-credential=none: only with --azure-endpoint (a local endpoint); Azure needs a real credential")
		}
		if o.endpoint != "" {
			if u, err := url.Parse(o.endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return fmt.Errorf("--azure-endpoint: %q is not an http(s) URL like https://127.0.0.1:8443", o.endpoint)
			}
		}
		if o.caFile != "" {
			pem, err := os.ReadFile(o.caFile)
			if err != nil {
				return fmt.Errorf("--azure-ca-file: %w", err)
			}
			o.caPool = x509.NewCertPool()
			if !o.caPool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("--azure-ca-file %s: no PEM certificate in it", o.caFile)
			}
		}
	default:
		_, err := netspec.ParseRouteMode("--routes", o.backend, netspec.RouteModes...)
		return err
	}
	if o.resync <= 0 {
		return fmt.Errorf("--routes-resync: %v, want a positive duration", o.resync)
	}
	return nil
}

// backend opens the route backend; close releases it when the controller ends.
func (o *routeOptions) open(spec netspec.Spec) (b routes.Backend, close func(), err error) {
	if o.backend == routesKernel {
		k, err := kernel.New(kernel.Config{NetNS: o.netns, PodCIDRs: spec.PodCIDRs})
		if errors.Is(err, kernel.ErrNoPodCIDRs) {
			return nil, nil, fmt.Errorf("--pod-cidrs: %w", err)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("--routes-netns: %w", err)
		}
		return k, k.Close, nil
	}
	var cred azcore.TokenCredential = azure.StaticToken("dualnet-local-endpoint")
	if o.credential == credentialDefault {
		if cred, err = azure.DefaultCredential(); err != nil {
			return nil, nil, fmt.Errorf("--azure-credential=default: %w", err)
		}
	}
	cfg := azure.Config{SubscriptionID: o.subscriptionID, ResourceGroup: o.resourceGroup, RouteTable: o.routeTable,
		Endpoint: o.endpoint, Credential: cred, PodCIDRs: spec.PodCIDRs, MaxRoutes: spec.MaxRoutes}
	if o.caPool != nil {
		cfg.Transport = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: o.caPool}}}
	}
	a, err := azure.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return a, func() {}, nil
}

// routeController keeps the nodes' routes in the --routes backend. It is listed before
// nodeIPAM, whose RoutesGone and RoutesReady hooks it sets.
var routeController = controller{
	name:    "routes",
	enabled: func(o *options) bool { return netspec.RouteMode(o.routes.backend).RouteTable() },
	start: func(cc *controllerContext) (started, error) {
		backend, closeBackend, err := cc.Options.routes.open(cc.Spec)
		if err != nil {
			return started{}, err
		}
		c, err := routecontroller.New(cc.Client, cc.Informers.Core().V1().Nodes(), routecontroller.Options{
			Backend: backend, PodCIDRs: cc.Spec.PodCIDRs, MaxRoutes: cc.Spec.MaxRoutes, MaxRoutesSetting: cc.Spec.Setting("--max-routes"),
			Recorder: cc.Recorder, Resync: cc.Options.routes.resync, Metrics: cc.Metrics,
		})
		if err != nil {
			closeBackend()
			return started{}, err
		}
		cc.RoutesGone = c.RoutesGone
		cc.RoutesReady = c.TableRead
		return started{run: c.Run, ready: c.Ready, close: closeBackend}, nil
	},
}
