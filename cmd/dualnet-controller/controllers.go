package main

import (
	"context"
	"net/netip"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"

	"github.com/dualnet/dualnet/internal/controller/nodeipam"
	"github.com/dualnet/dualnet/internal/netspec"
)

// controllers run in this order while the process leads. To add one, write its start
// function in its own file and list it here. A route controller goes before nodeIPAM and sets
// controllerContext.RoutesGone and RoutesReady, so that IPAM reuses a deleted node's block
// only once its routes are gone.
var controllers = []controller{
	routeController,
	nodeIPAM,
}

// controller is one of dualnet-controller's controllers.
type controller struct {
	name    string
	enabled func(*options) bool
	// start builds the controller on the shared informers (started after every controller is
	// built). What it acquired is released by the started's close, also when a later
	// controller fails to start and this one never runs.
	start func(*controllerContext) (started, error)
}

// started is a controller built and not yet running.
type started struct {
	run   func(context.Context) error
	ready func() error
	// close releases what start acquired (sockets, namespace handles); runControllers calls it
	// once, after run returned or instead of run. Nil: nothing to release.
	close func()
}

// controllerContext is what every controller gets.
type controllerContext struct {
	Spec      netspec.Spec
	Options   *options
	Client    kubernetes.Interface
	Informers informers.SharedInformerFactory
	Recorder  record.EventRecorder
	Metrics   prometheus.Registerer
	// RoutesGone, when a route controller sets it, says whether the routes of a deleted node's
	// pod CIDRs are gone. Nil: no routes are kept, released CIDRs are free at once.
	RoutesGone func(cidrs []netip.Prefix) bool
	// RoutesReady, set by the route controller with RoutesGone, says whether the route table
	// has been read since start, so node IPAM can skip blocks a dead node's route still
	// points at. Nil: IPAM does not ask about routes left behind.
	RoutesReady func() error

	ready *atomic.Pointer[[]func() error]
}

var nodeIPAM = controller{
	name:    "nodeipam",
	enabled: func(o *options) bool { return o.ipam == ipamDualnet },
	start: func(cc *controllerContext) (started, error) {
		c, err := nodeipam.New(cc.Client, cc.Informers.Core().V1().Nodes(), nodeipam.Options{
			Spec:        cc.Spec,
			Recorder:    cc.Recorder,
			RoutesGone:  cc.RoutesGone,
			RoutesReady: cc.RoutesReady,
			HoldDown:    cc.Options.holdDown,
			Metrics:     cc.Metrics,
		})
		if err != nil {
			return started{}, err
		}
		return started{run: c.Run, ready: c.Ready}, nil
	},
}
