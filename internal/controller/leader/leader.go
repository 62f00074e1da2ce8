// Package leader runs a controller process's work only while the process holds a
// coordination.k8s.io Lease, so that of several replicas exactly one acts at a time.
//
// It must not decide what the work is: the caller passes it in. Losing the lease ends the
// work and Run returns an error, so the process exits and a restart rebuilds its state from
// the cluster rather than acting on state from before another replica led.
package leader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Config is the leader election of one controller process, with kube-controller-manager's
// flag names.
type Config struct {
	Enabled       bool
	Namespace     string
	Name          string
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
}

// DefaultConfig elects on the Lease kube-system/name with kube-controller-manager's timings.
func DefaultConfig(name string) Config {
	return Config{
		Enabled:       true,
		Namespace:     metav1.NamespaceSystem,
		Name:          name,
		LeaseDuration: 15 * time.Second,
		RenewDeadline: 10 * time.Second,
		RetryPeriod:   2 * time.Second,
	}
}

// AddFlags registers the --leader-elect flags.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&c.Enabled, "leader-elect", c.Enabled, "run the controllers only while holding the Lease, so that one replica of several acts")
	fs.StringVar(&c.Namespace, "leader-elect-resource-namespace", c.Namespace, "namespace of the Lease")
	fs.StringVar(&c.Name, "leader-elect-resource-name", c.Name, "name of the Lease")
	fs.DurationVar(&c.LeaseDuration, "leader-elect-lease-duration", c.LeaseDuration, "how long other replicas wait after the last renewal before taking the Lease")
	fs.DurationVar(&c.RenewDeadline, "leader-elect-renew-deadline", c.RenewDeadline, "how long the leader keeps trying to renew before it gives up leading")
	fs.DurationVar(&c.RetryPeriod, "leader-elect-retry-period", c.RetryPeriod, "how often replicas try to take or renew the Lease")
}

// Check names the flag of a timing the election cannot work with.
func (c Config) Check() error {
	if !c.Enabled {
		return nil
	}
	switch {
	case c.RetryPeriod <= 0:
		return fmt.Errorf("--leader-elect-retry-period: %v must be positive", c.RetryPeriod)
	case float64(c.RenewDeadline) <= leaderelection.JitterFactor*float64(c.RetryPeriod):
		return fmt.Errorf("--leader-elect-renew-deadline: %v must be longer than %v times --leader-elect-retry-period %v",
			c.RenewDeadline, leaderelection.JitterFactor, c.RetryPeriod)
	case c.LeaseDuration <= c.RenewDeadline:
		return fmt.Errorf("--leader-elect-lease-duration: %v must be longer than --leader-elect-renew-deadline %v", c.LeaseDuration, c.RenewDeadline)
	case c.Name == "" || c.Namespace == "":
		return errors.New("--leader-elect-resource-name and --leader-elect-resource-namespace must not be empty")
	}
	return nil
}

// Elector runs work while leading.
type Elector struct {
	cfg      Config
	client   kubernetes.Interface
	identity string
	leading  atomic.Bool
}

// New returns an elector; the identity is the host name and a random suffix, so that a
// restarted process never mistakes the dead one's lease for its own.
func New(client kubernetes.Interface, cfg Config) (*Elector, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return &Elector{cfg: cfg, client: client, identity: host + "_" + string(uuid.NewUUID())}, nil
}

// Identity is the holder identity this process writes into the Lease.
func (e *Elector) Identity() string { return e.identity }

// Leading says whether this process runs the work now.
func (e *Elector) Leading() bool { return e.leading.Load() }

// Run runs work while this process leads (at once when election is disabled). It returns
// work's result when ctx ends, and an error when the lease is lost: the caller should exit.
func (e *Elector) Run(ctx context.Context, work func(ctx context.Context) error) error {
	if !e.cfg.Enabled {
		e.leading.Store(true)
		defer e.leading.Store(false)
		return work(ctx)
	}
	var workErr error
	workDone := make(chan struct{})
	started := atomic.Bool{}
	endedOnItsOwn := atomic.Bool{} // the work returned while still leading
	electCtx, stopElecting := context.WithCancel(ctx)
	defer stopElecting()
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: e.cfg.Namespace, Name: e.cfg.Name},
			Client:     e.client.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: e.identity},
		},
		LeaseDuration: e.cfg.LeaseDuration,
		RenewDeadline: e.cfg.RenewDeadline,
		RetryPeriod:   e.cfg.RetryPeriod,
		// A replica shutting down hands the lease over at once instead of making the
		// others wait a lease duration.
		ReleaseOnCancel: true,
		Name:            e.cfg.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(leadCtx context.Context) {
				started.Store(true)
				e.leading.Store(true)
				defer close(workDone)
				workErr = work(leadCtx)
				if leadCtx.Err() == nil {
					// Nothing left to lead for: hand the lease over and return.
					endedOnItsOwn.Store(true)
					stopElecting()
				}
			},
			OnStoppedLeading: func() { e.leading.Store(false) },
		},
	})
	if err != nil {
		return fmt.Errorf("leader election on Lease %s/%s: %w", e.cfg.Namespace, e.cfg.Name, err)
	}
	// Run returns when ctx ends, the work ends, or the lease is lost; the work's context ends
	// with it.
	elector.Run(electCtx)
	if started.Load() {
		<-workDone
	}
	switch {
	case ctx.Err() != nil:
		return workErr
	case endedOnItsOwn.Load() && workErr != nil:
		return workErr
	case endedOnItsOwn.Load():
		return errors.New("the work ended while leading")
	}
	return fmt.Errorf("lost the Lease %s/%s: stopping so that a restart rebuilds from the cluster", e.cfg.Namespace, e.cfg.Name)
}
