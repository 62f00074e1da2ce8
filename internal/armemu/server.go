package armemu

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"k8s.io/klog/v2"
)

// DefaultRouteLimit is the routes-per-table limit of the AKS article; Azure has raised it since,
// which is why Options.RouteLimit and SetRouteLimit exist.
const DefaultRouteLimit = 400

// Options configure a Server.
type Options struct {
	// Addr to listen on; default 127.0.0.1:0 (a free port).
	Addr string
	// RouteLimit is the most routes a table may hold; default DefaultRouteLimit.
	RouteLimit int
	// PlainHTTP serves http:// instead of https:// (the SDK then needs
	// InsecureAllowCredentialWithHTTP). HTTPS with a self-signed certificate is the default.
	PlainHTTP bool
	// Hosts the certificate is valid for besides 127.0.0.1, ::1 and localhost.
	Hosts []string
	// StateFile, when set, keeps resource groups and tables across restarts: loaded at Start,
	// rewritten after every change.
	StateFile string
	// CertPEM and KeyPEM, when set, are the certificate to serve (see GenerateCertificate);
	// otherwise a new self-signed one is made.
	CertPEM, KeyPEM []byte
	// OperationPolls is how many times a long-running operation answers InProgress before
	// Succeeded; 0 means the first poll already sees Succeeded.
	OperationPolls int
}

// Server is a running local ARM endpoint.
type Server struct {
	opts     Options
	url      string
	certPEM  []byte
	certPool *x509.CertPool
	http     *http.Server
	listener net.Listener
	closed   chan struct{}
	close    sync.Once

	mu         sync.Mutex
	groups     map[groupKey]bool
	tables     map[tableKey]*table
	operations map[string]int // operation id -> InProgress answers left
	faults     []*Fault
	stats      Stats
	changed    chan struct{} // poked after every write; capacity 1, so pokes coalesce
}

// Start listens and serves until Close.
func Start(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.RouteLimit == 0 {
		opts.RouteLimit = DefaultRouteLimit
	}
	l, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("armemu: listen on %s: %w", opts.Addr, err)
	}
	s := &Server{
		opts: opts, listener: l, closed: make(chan struct{}),
		groups: map[groupKey]bool{}, tables: map[tableKey]*table{}, operations: map[string]int{},
		changed: make(chan struct{}, 1),
	}
	if opts.StateFile != "" {
		if err := s.load(); err != nil {
			l.Close()
			return nil, err
		}
	}
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if !opts.PlainHTTP {
		cert, certPEM, err := selfSignedCert(opts.Hosts)
		if opts.CertPEM != nil {
			certPEM = opts.CertPEM
			cert, err = tls.X509KeyPair(opts.CertPEM, opts.KeyPEM)
		}
		if err != nil {
			l.Close()
			return nil, err
		}
		s.certPEM = certPEM
		s.certPool = x509.NewCertPool()
		s.certPool.AppendCertsFromPEM(certPEM)
		s.http.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		l = tls.NewListener(l, s.http.TLSConfig)
		scheme = "https"
	}
	s.url = fmt.Sprintf("%s://%s", scheme, s.listener.Addr())
	go func() {
		if err := s.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(fmt.Sprintf("armemu: serve: %v", err))
		}
	}()
	return s, nil
}

// URL is the endpoint to give the SDK (https://127.0.0.1:port).
func (s *Server) URL() string { return s.url }

// CertificatePEM is the server's self-signed certificate, for clients to trust; nil with
// PlainHTTP.
func (s *Server) CertificatePEM() []byte { return s.certPEM }

// HTTPClient is an http.Client that trusts the server's certificate (an azcore Transporter).
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.certPool}}}
}

// Close stops the server, cutting short any slow answer in progress. Closing twice is fine.
func (s *Server) Close() error {
	var err error
	s.close.Do(func() {
		close(s.closed)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = s.http.Shutdown(ctx)
	})
	return err
}

// AddResourceGroup makes a resource group exist; ARM answers ResourceGroupNotFound for others.
func (s *Server) AddResourceGroup(subscription, group string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupKey{lower(subscription), lower(group)}] = true
	s.saveOrLog()
}

// CreateRouteTable makes an empty route table (and its resource group), as an administrator
// would before pointing dualnet at it.
func (s *Server) CreateRouteTable(subscription, group, name, location string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupKey{lower(subscription), lower(group)}] = true
	k := keyOf(subscription, group, name)
	if s.tables[k] == nil {
		s.tables[k] = newTable(subscription, group, name, location)
	}
	s.saveOrLog()
}

// RouteTable returns a copy of a table's state.
func (s *Server) RouteTable(subscription, group, name string) (Table, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[keyOf(subscription, group, name)]
	if t == nil {
		return Table{}, false
	}
	return t.snapshot(), true
}

// SetRouteLimit changes the routes-per-table limit for later writes.
func (s *Server) SetRouteLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.RouteLimit = n
}

// Changed receives after writes (several writes may give one receive): for a process that
// mirrors the table somewhere, as the lab mirrors it into its router namespace.
func (s *Server) Changed() <-chan struct{} { return s.changed }

// wrote counts a write, saves the state and pokes Changed. Called with s.mu held.
func (s *Server) wrote() {
	s.stats.Writes++
	s.saveOrLog()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// saveOrLog saves the state; a failure to save is logged, not answered to the client: the
// write did happen in memory. Called with s.mu held.
func (s *Server) saveOrLog() {
	if err := s.save(); err != nil {
		klog.ErrorS(err, "Saving armemu state", "file", s.opts.StateFile)
	}
}
