package lab

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/dualnet/dualnet/internal/controlplane"
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

	progress.printf("starting the control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler (%s)", cfg.KubeBinDir)
	cp, err := controlplane.Start(ctx, controlplane.Options{
		BinDir:            cfg.KubeBinDir,
		Dir:               st.Dir,
		ServiceCIDRs:      cfg.Spec.ServiceCIDRs,
		ClusterCIDRs:      cfg.Spec.PodCIDRs,
		ControllerManager: true,
		Scheduler:         true,
	})
	if err != nil {
		return fmt.Errorf("start the control plane: %w", err)
	}
	defer cp.Stop()
	if err := st.setEndpoint("apiserver", cp.ServerURL()); err != nil {
		return err
	}
	if err := st.setEndpoint("kubeconfig", cp.KubeconfigPath()); err != nil {
		return err
	}
	progress.printf("  kube-apiserver at %s (%.1fs)", cp.ServerURL(), time.Since(started).Seconds())

	kids := newChildren(st, progress)
	childCtx, stopChildren := context.WithCancel(context.WithoutCancel(ctx))
	// Each node's kube-proxy runs inside the node's namespace and dials the kubeconfig's
	// 127.0.0.1 there: the relay answers for the API server.
	for i := 0; i < cfg.Nodes; i++ {
		if err := relayAPIServer(childCtx, topo.Names.Node(i), cp.ServerURL()); err != nil {
			stopChildren()
			return err
		}
	}
	plan, err := componentsOf(cfg, st, topo, cp.KubeconfigPath())
	if err != nil {
		stopChildren()
		return err
	}
	var order []string
	defer func() {
		stopChildren()
		kids.stopAll(order)
	}()
	for _, step := range plan {
		progress.printf("starting %s", step.Name)
		if err := kids.start(childCtx, step); err != nil {
			return err
		}
		order = append(order, step.Name)
		if step.ReadyFile != "" {
			if err := waitFile(ctx, step.ReadyFile, step.Name); err != nil {
				return err
			}
		}
		if step.Node != "" {
			if err := waitPodCIDRs(ctx, cp.RestConfig(), step.Node, kids); err != nil {
				return err
			}
		}
	}

	if err := startLoadBalancer(childCtx, cp.RestConfig(), cfg, topo, progress); err != nil {
		return err
	}
	if err := waitNodesReady(ctx, cp.RestConfig(), cfg, progress, kids, st); err != nil {
		return err
	}
	if err := st.setReady(); err != nil {
		return err
	}
	progress.printf("lab %q is ready in %.1fs: export KUBECONFIG=%s (or: dualnet lab kubeconfig)", cfg.Name, time.Since(started).Seconds(), cp.KubeconfigPath())
	<-ctx.Done()
	progress.printf("stopping")
	return nil
}
