package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/controller/leader"
	"github.com/dualnet/dualnet/internal/health"
)

// run connects, serves health and metrics, and runs the controllers while leading.
func run(ctx context.Context, opts *options) error {
	spec, err := opts.check()
	if err != nil {
		return err
	}
	logger := klog.FromContext(ctx)
	cfg, err := clientcmd.BuildConfigFromFlags("", opts.kubeconfig)
	if err != nil {
		return fmt.Errorf("--kubeconfig %q: %w", opts.kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = opts.apiQPS, opts.apiBurst
	cfg.UserAgent = "dualnet-controller"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	elector, err := leader.New(client, opts.leader)
	if err != nil {
		return err
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dualnet_controller_leader", Help: "1 while this replica leads and runs the controllers."},
			func() float64 {
				if elector.Leading() {
					return 1
				}
				return 0
			}))
	// Ready: a standby replica is ready (it serves health and waits); a leader once its
	// controllers have rebuilt their state.
	var readiness atomic.Pointer[[]func() error]
	ready := func() error {
		if checks := readiness.Load(); elector.Leading() && checks != nil {
			return errors.Join(runChecks(*checks)...)
		} else if elector.Leading() {
			return errors.New("starting controllers")
		}
		return nil
	}
	server, err := health.Listen(opts.healthAddr, registry, ready)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	serveDone := make(chan error, 1)
	go func() { serveDone <- server.Serve(ctx) }()

	logger.Info("Starting", "identity", elector.Identity(), "leaderElect", opts.leader.Enabled, "ipam", opts.ipam,
		"podCIDRs", spec.PodCIDRs, "capacity", spec.Capacity().Nodes, "bindingLimit", spec.Capacity().Limit.String())
	err = elector.Run(ctx, func(ctx context.Context) error {
		logger.Info("Leading: starting controllers")
		return runControllers(ctx, &controllerContext{
			Spec: spec, Options: opts, Client: client,
			Informers: informers.NewSharedInformerFactory(client, 0),
			Metrics:   registry,
			ready:     &readiness,
		})
	})
	cancel()
	return errors.Join(err, <-serveDone)
}

// runControllers starts every enabled controller on shared informers and waits for them.
func runControllers(ctx context.Context, cc *controllerContext) error {
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: cc.Client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	cc.Recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "dualnet-controller"})

	var all []started
	// Runs last: after every run returned, or when a later controller failed to start and
	// the earlier ones never ran. Latest first, as their resources were acquired.
	defer func() {
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].close != nil {
				all[i].close()
			}
		}
	}()
	var checks []func() error
	for _, c := range controllers {
		if !c.enabled(cc.Options) {
			klog.FromContext(ctx).Info("Controller disabled", "controller", c.name)
			continue
		}
		s, err := c.start(cc)
		if err != nil {
			return fmt.Errorf("start %s controller: %w", c.name, err)
		}
		all = append(all, s)
		checks = append(checks, s.ready)
	}
	cc.ready.Store(&checks)
	cc.Informers.Start(ctx.Done())
	defer cc.Informers.Shutdown()
	g, ctx := errgroup.WithContext(ctx)
	for _, s := range all {
		g.Go(func() error { return s.run(ctx) })
	}
	// Lead until told to stop, even with every controller disabled (--ipam=kubernetes and
	// no route controller yet): the process stays up, healthy and leading.
	g.Go(func() error {
		<-ctx.Done()
		return nil
	})
	return g.Wait()
}

func runChecks(checks []func() error) []error {
	var errs []error
	for _, check := range checks {
		errs = append(errs, check())
	}
	return errs
}
