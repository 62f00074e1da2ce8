// Command dualnet-armemu runs internal/armemu, the local ARM route table endpoint, as a
// process: the lab points dualnet-controller --routes=azure at it, and it can mirror the
// route table into a network namespace (the lab's vnet router), as Azure's data plane applies
// a subnet's route table.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/health"
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/routes/kernel"
)

type options struct {
	listen, certFile, urlFile, stateFile  string
	subscription, resourceGroup, location string
	routeTables                           []string
	routeLimit                            int
	plainHTTP                             bool
	applyNetNS                            string
	podCIDRs                              []string
}

func main() {
	if err := newCommand().Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "dualnet-armemu: %v\n", err)
		os.Exit(1)
	}
}

func newCommand() *cobra.Command {
	var defaultPodCIDRs []string
	for _, p := range netspec.Default().PodCIDRs {
		defaultPodCIDRs = append(defaultPodCIDRs, p.String())
	}
	o := &options{listen: "127.0.0.1:0", location: "westeurope", routeLimit: armemu.DefaultRouteLimit, podCIDRs: defaultPodCIDRs}
	cmd := &cobra.Command{
		Use:   "dualnet-armemu",
		Short: "Serve a local Azure Resource Manager route table endpoint",
		Long: "dualnet-armemu answers the ARM route table calls of the Azure SDK as Azure does (etags, If-Match,\n" +
			"long-running operations, the route limit), over HTTPS with a self-signed certificate.",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return run(ctx, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.listen, "listen", o.listen, "address to serve on; the certificate is valid for its host too (besides 127.0.0.1, ::1 and localhost)")
	fs.StringVar(&o.certFile, "cert-file", "", "write the self-signed certificate (PEM) here, for clients to trust (dualnet-controller --azure-ca-file); its key goes beside it (<cert-file>.key) and both are reused on restart, so clients keep trusting the endpoint")
	fs.StringVar(&o.urlFile, "url-file", "", "write the endpoint URL here once serving")
	fs.StringVar(&o.stateFile, "state-file", "", "keep resource groups and route tables in this file across restarts, as Azure keeps them; empty: memory only")
	fs.BoolVar(&o.plainHTTP, "plain-http", false, "serve http:// instead of https://")
	fs.StringVar(&o.subscription, "subscription", "00000000-0000-0000-0000-000000000000", "subscription of the resource group and route tables made at start")
	fs.StringVar(&o.resourceGroup, "resource-group", "", "resource group to create at start")
	fs.StringSliceVar(&o.routeTables, "route-table", nil, "route table(s) to create (empty) at start in --resource-group")
	fs.StringVar(&o.location, "location", o.location, "location of the route tables made at start")
	fs.IntVar(&o.routeLimit, "route-limit", o.routeLimit, "most routes per route table; writes over it fail as on Azure")
	fs.StringVar(&o.applyNetNS, "apply-netns", "", "mirror the --route-table's routes into this network namespace (name under "+netns.Dir+", or a path; "+kernel.HostNetNS+": this process's own) after each write")
	fs.StringSliceVar(&o.podCIDRs, "pod-cidrs", o.podCIDRs, "with --apply-netns: the cluster pod CIDRs, the only routes mirrored")
	logFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(logFlags)
	fs.AddGoFlag(logFlags.Lookup("v"))
	return cmd
}

// check names the flag of anything wrong before the endpoint starts.
func (o *options) check() ([]netip.Prefix, error) {
	if err := health.CheckAddr("--listen", o.listen); err != nil {
		return nil, err
	}
	if len(o.routeTables) > 0 && o.resourceGroup == "" {
		return nil, fmt.Errorf("--route-table %v needs --resource-group", o.routeTables)
	}
	if o.routeLimit <= 0 {
		return nil, fmt.Errorf("--route-limit: %d, want a positive number of routes", o.routeLimit)
	}
	if o.applyNetNS != "" && len(o.routeTables) != 1 {
		return nil, fmt.Errorf("--apply-netns %s: needs exactly one --route-table to mirror, got %d", o.applyNetNS, len(o.routeTables))
	}
	var cidrs []netip.Prefix
	for _, s := range o.podCIDRs {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("--pod-cidrs: %q is not a CIDR: %w", s, err)
		}
		if p.Masked() != p {
			return nil, fmt.Errorf("--pod-cidrs: %s has host bits set: did you mean %s?", p, p.Masked())
		}
		cidrs = append(cidrs, p)
	}
	return cidrs, nil
}

func run(ctx context.Context, o *options) error {
	podCIDRs, err := o.check()
	if err != nil {
		return err
	}
	srvOpts := armemu.Options{Addr: o.listen, RouteLimit: o.routeLimit, PlainHTTP: o.plainHTTP, StateFile: o.stateFile, Hosts: listenHosts(o.listen)}
	if o.certFile != "" && !o.plainHTTP {
		if srvOpts.CertPEM, srvOpts.KeyPEM, err = keptCertificate(o.certFile, srvOpts.Hosts); err != nil {
			return err
		}
	}
	srv, err := armemu.Start(srvOpts)
	if err != nil {
		return err
	}
	defer srv.Close()
	if o.resourceGroup != "" {
		srv.AddResourceGroup(o.subscription, o.resourceGroup)
	}
	for _, t := range o.routeTables {
		srv.CreateRouteTable(o.subscription, o.resourceGroup, t, o.location)
	}
	if o.urlFile != "" {
		if err := os.WriteFile(o.urlFile, []byte(srv.URL()+"\n"), 0o644); err != nil {
			return fmt.Errorf("--url-file: %w", err)
		}
	}
	fmt.Println(srv.URL())
	klog.InfoS("Serving", "url", srv.URL(), "routeLimit", o.routeLimit, "resourceGroup", o.resourceGroup, "routeTables", o.routeTables)
	if o.applyNetNS == "" {
		<-ctx.Done()
		return nil
	}
	return mirror(ctx, srv, o, podCIDRs)
}
