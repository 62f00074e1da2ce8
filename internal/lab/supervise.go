package lab

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/netns"
)

// Supervise is the lab's long-lived process (`dualnet lab supervise`, started detached by Up):
// it builds the topology, runs the control plane and the dualnet components, marks the state
// ready when every node is, and holds everything until ctx ends (SIGTERM from Down). The
// control plane's processes die with it (the kernel kills them if it dies), so nothing of the
// lab outlives it except namespaces and files, which Down removes.
func Supervise(ctx context.Context, dir string) error {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return fmt.Errorf("read the lab's configuration: %w", err)
	}
	st, err := LoadState(dir)
	if err != nil {
		return fmt.Errorf("read the lab's state: %w", err)
	}
	progress, err := openProgress(dir, os.Stdout)
	if err != nil {
		return err
	}
	defer progress.Close()
	started := time.Now()
	err = supervise(ctx, cfg, st, progress, started)
	if err != nil {
		progress.printf("%s %v", failedMark, err)
	}
	return err
}

// failedMark starts the progress line that says why the supervisor gave up.
const failedMark = "FAILED:"

func supervise(ctx context.Context, cfg Config, st *State, progress *progressLog, started time.Time) error {
	addressing, err := cfg.Addressing()
	if err != nil {
		return err
	}
	topo := Topology{Names: cfg.Names(), Addressing: addressing, Internet: NewInternet(cfg.Spec)}
	progress.printf("creating the virtual network: %s (router %s), %d nodes, %s", topo.Names.Vnet(), joinPrefixes(addressing.Gateway()), cfg.Nodes, topo.Names.VnetHost())
	if err := topo.Build(st, progress.printf); err != nil {
		return err
	}

	progress.printf("starting the control plane in %s: etcd, kube-apiserver, kube-controller-manager, kube-scheduler (%s)", topo.Names.ControlPlane(), cfg.KubeBinDir)
	cpAddrs := topo.Addressing.ControlPlane()
	var sans []string
	for _, a := range cpAddrs {
		sans = append(sans, a.Addr().String())
	}
	cp, err := controlplane.Start(ctx, controlplane.Options{
		BinDir:            cfg.KubeBinDir,
		Dir:               st.Dir,
		Netns:             netns.Path(topo.Names.ControlPlane()),
		BindAddress:       netip.IPv6Unspecified(),
		AdvertiseAddress:  cpAddrs[0].Addr(),
		ExtraSANs:         sans,
		ServiceCIDRs:      cfg.Spec.ServiceCIDRs,
		ClusterCIDRs:      cfg.Spec.PodCIDRs,
		ControllerManager: true,
		Scheduler:         true,
		// As AKS's, the lab's API server runs on no node and beside no kube-proxy, so a
		// webhook's or an aggregated API's ClusterIP leads nowhere from it. It calls their
		// pods at their endpoint addresses instead, which the vnet routes to the nodes
		// (AKS reaches them through its konnectivity tunnel).
		APIServerFlags: []string{"--enable-aggregator-routing=true"},
	})
	if err != nil {
		return fmt.Errorf("start the control plane: %w", err)
	}
	defer cp.Stop()
	kids := newChildren(st, progress)
	childCtx, stopChildren := context.WithCancel(context.WithoutCancel(ctx))
	relayURL, err := relayAPIServer(childCtx, topo.Names.ControlPlane(), cp.ServerURL())
	if err != nil {
		stopChildren()
		return err
	}
	hostKubeconfig, err := writeHostKubeconfig(st, cp, relayURL)
	if err != nil {
		stopChildren()
		return err
	}
	if err := st.setEndpoint("apiserver", relayURL); err != nil {
		stopChildren()
		return err
	}
	if err := st.setEndpoint("kubeconfig", hostKubeconfig); err != nil {
		stopChildren()
		return err
	}
	server := serverOnVnet(cp.ServerURL(), cpAddrs[0].Addr())
	progress.printf("  kube-apiserver at %s, on the host's loopback at %s (%.1fs)", server, relayURL, time.Since(started).Seconds())

	certs, err := startRegistry(childCtx, cfg, st, topo, progress)
	if err != nil {
		stopChildren()
		return err
	}
	var arm *arm
	if cfg.Routes == RoutesAzure {
		if arm, err = newARM(st, cfg, topo); err != nil {
			stopChildren()
			return err
		}
	}
	plan, err := componentsOf(cfg, st, topo, endpoints{cp: cp, hostKubeconfig: hostKubeconfig, server: server, registryCerts: certs, arm: arm})
	if err != nil {
		stopChildren()
		return err
	}
	progress.printf("installing the pod network as users do: kube-proxy, then dualnet with kubectl apply -k")
	if err := installNetwork(ctx, cfg, st, hostKubeconfig, server, arm); err != nil {
		stopChildren()
		return err
	}
	// One client for every wait of the supervisor's.
	client, err := kubernetes.NewForConfig(cp.RestConfig())
	if err != nil {
		stopChildren()
		return err
	}
	kids.pods = &podWatch{client: client, st: st}
	if err := saveHostSettings(cfg.StateRoot); err != nil {
		stopChildren()
		return err
	}
	for i := 0; i < cfg.Nodes; i++ {
		m := nodeMachineOf(st, topo.Names.Node(i))
		if err := m.create(st.addHostDir); err != nil {
			stopChildren()
			return err
		}
	}
	var order []component
	defer func() {
		stopChildren()
		kids.stopAll(order)
	}()
	for _, step := range plan {
		progress.printf("starting %s", step.Name)
		if err := kids.start(childCtx, step); err != nil {
			return err
		}
		order = append(order, step)
		if step.ReadyFile != "" {
			if err := waitFile(ctx, step.ReadyFile, step.Name); err != nil {
				return err
			}
		}
		if step.Node != "" {
			if err := waitPodCIDRs(ctx, client, step.Node, kids); err != nil {
				return err
			}
		}
	}

	if err := startLoadBalancer(childCtx, client, cfg, topo, progress); err != nil {
		return err
	}
	if err := waitNodesReady(ctx, client, cfg, progress, kids, st); err != nil {
		return err
	}
	if err := waitNetworkPods(ctx, client, cfg, progress, kids); err != nil {
		return err
	}
	progress.printf("installing the add-ons: CoreDNS")
	if err := applyAddons(ctx, cfg, topo, hostKubeconfig); err != nil {
		return err
	}
	if err := waitDeploymentAvailable(ctx, client, "kube-system", "coredns", kids); err != nil {
		return err
	}
	reportHostSettings(cfg.StateRoot, progress.printf)
	if err := st.setReady(); err != nil {
		return err
	}
	progress.printf("lab %q is ready in %.1fs: export KUBECONFIG=%s (or: dualnet lab kubeconfig)", cfg.Name, time.Since(started).Seconds(), hostKubeconfig)
	<-ctx.Done()
	progress.printf("stopping")
	return nil
}

// writeHostKubeconfig writes the admin kubeconfig for the host's side (the user's kubectl and
// the lab's, which installs dualnet and the add-ons): the API server through the relay on the
// host's loopback.
func writeHostKubeconfig(st *State, cp *controlplane.ControlPlane, relayURL string) (string, error) {
	rc := cp.RestConfig()
	rc.Host, rc.Dial = relayURL, nil
	path := filepath.Join(st.Dir, "admin.kubeconfig")
	return path, controlplane.WriteKubeconfig(path, rc)
}

// serverOnVnet is the API server's URL at the control plane's address on the virtual network,
// where kubelets, kube-proxy and pods (the "kubernetes" Service) reach it.
func serverOnVnet(serverURL string, addr netip.Addr) string {
	u, err := url.Parse(serverURL)
	if err != nil {
		return serverURL
	}
	return "https://" + netip.AddrPortFrom(addr, mustPort(u.Port())).String()
}

func mustPort(s string) uint16 {
	p, _ := strconv.ParseUint(s, 10, 16)
	return uint16(p)
}
