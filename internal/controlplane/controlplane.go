package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// startAttempts bounds the retries when another process takes a port between freePort and the
// component binding it (parallel test binaries all pick ports at once).
const startAttempts = 3

// ControlPlane is a running control plane. Its methods are safe for concurrent use.
type ControlPlane struct {
	opts       Options
	dir        string
	pki        *authority
	admin      keyPair
	serverURL  string
	etcdURL    string
	kubeconfig string

	mu        sync.Mutex
	processes []*process // in start order; stopped in reverse
	stopped   bool
}

// Start runs etcd and kube-apiserver (and, as opts say, kube-controller-manager and
// kube-scheduler), waits until they are ready, and writes an admin kubeconfig. On error nothing
// it started is left running and its directory is removed.
func Start(ctx context.Context, opts Options) (*ControlPlane, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()

	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		cp, err := startOnce(ctx, opts)
		if err == nil {
			return cp, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// errPortTaken marks a start that failed only because a chosen port was taken meanwhile.
var errPortTaken = errors.New("a chosen port was taken by another process")

func startOnce(ctx context.Context, opts Options) (_ *ControlPlane, err error) {
	paths := map[string]string{}
	for _, name := range opts.binaries() {
		if paths[name], err = binary(opts.BinDir, name); err != nil {
			return nil, err
		}
	}
	removeLeftovers(opts.Dir)
	dir, err := os.MkdirTemp(opts.Dir, dirPattern)
	if err != nil {
		return nil, fmt.Errorf("create control plane directory: %w", err)
	}
	// Not the named result: `return nil, err` would clear it before the cleanup below runs.
	cp := &ControlPlane{opts: opts, dir: dir}
	defer func() {
		if err != nil {
			if stopErr := cp.Stop(); stopErr != nil {
				err = fmt.Errorf("%w (and cleaning up: %v)", err, stopErr)
			}
		}
	}()
	if err := writeOwner(dir); err != nil {
		return nil, fmt.Errorf("create control plane directory: %w", err)
	}
	if err := cp.writePKI(); err != nil {
		return nil, err
	}

	steps := []struct {
		name  string
		start func(context.Context, string) (*process, error)
		run   bool
	}{
		{"etcd", cp.startEtcd, true},
		{"kube-apiserver", cp.startAPIServer, true},
		{"kube-controller-manager", cp.startControllerManager, opts.ControllerManager},
		{"kube-scheduler", cp.startScheduler, opts.Scheduler},
	}
	for _, s := range steps {
		if !s.run {
			continue
		}
		p, err := s.start(ctx, paths[s.name])
		if p != nil {
			cp.mu.Lock()
			cp.processes = append(cp.processes, p)
			cp.mu.Unlock()
		}
		if err != nil {
			if p != nil && p.exited() && logMentions(p.logPath, "address already in use") {
				return nil, fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return nil, err
		}
	}
	return cp, nil
}

func (o Options) binaries() []string {
	names := []string{"etcd", "kube-apiserver"}
	if o.ControllerManager {
		names = append(names, "kube-controller-manager")
	}
	if o.Scheduler {
		names = append(names, "kube-scheduler")
	}
	return names
}

func logMentions(path, text string) bool {
	data, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(data), text)
}

// RestConfig returns a new admin (system:masters) client config for the API server. Its rate
// limits are raised well above client-go's defaults so that tests creating hundreds of objects
// measure the API server, not the client's throttle.
func (cp *ControlPlane) RestConfig() *rest.Config {
	return &rest.Config{
		Host: cp.serverURL,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   cp.pki.certPEM,
			CertData: cp.admin.certPEM,
			KeyData:  cp.admin.keyPEM,
		},
		QPS:   1000,
		Burst: 2000,
		Dial:  cp.dial(),
	}
}

// ns is the namespace the components run in.
func (cp *ControlPlane) ns() nodens.Namespace { return nodens.At(cp.opts.Netns) }

// dial reaches the components from the caller's namespace: nil (client-go's own dialer)
// unless they run in a namespace of their own.
func (cp *ControlPlane) dial() func(context.Context, string, string) (net.Conn, error) {
	if cp.opts.Netns == "" {
		return nil
	}
	return cp.ns().DialContext
}

// KubeconfigPath is an admin kubeconfig file for kubectl and other processes.
func (cp *ControlPlane) KubeconfigPath() string { return cp.kubeconfig }

// Dir is the control plane's directory: certificates, etcd data and one <component>.log each.
func (cp *ControlPlane) Dir() string { return cp.dir }

// ServerURL is kube-apiserver's https URL.
func (cp *ControlPlane) ServerURL() string { return cp.serverURL }

// EtcdURL is etcd's client URL (plain http on loopback).
func (cp *ControlPlane) EtcdURL() string { return cp.etcdURL }

// CACertPEM is the certificate that signed the API server's serving certificate.
func (cp *ControlPlane) CACertPEM() []byte { return append([]byte(nil), cp.pki.certPEM...) }

// ServiceCIDRs are the service ranges the API server allocates cluster IPs from.
func (cp *ControlPlane) ServiceCIDRs() []netip.Prefix {
	return append([]netip.Prefix(nil), cp.opts.ServiceCIDRs...)
}

// Stop ends the processes this control plane started (by PID: SIGTERM, then SIGKILL after a
// grace period), newest first, and removes its directory. It is safe to call more than once.
func (cp *ControlPlane) Stop() error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.stopped {
		return nil
	}
	cp.stopped = true
	var errs []error
	for i := len(cp.processes) - 1; i >= 0; i-- {
		if err := cp.processes[i].stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(cp.dir); err != nil {
		errs = append(errs, fmt.Errorf("remove %s: %w", cp.dir, err))
	}
	return errors.Join(errs...)
}

// pids maps each started component to its process ID.
func (cp *ControlPlane) pids() map[string]int {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	m := make(map[string]int, len(cp.processes))
	for _, p := range cp.processes {
		m[p.name] = p.cmd.Process.Pid
	}
	return m
}
