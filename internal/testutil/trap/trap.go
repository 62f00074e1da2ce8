// Package trap is a TCP listener that only counts who connects to it, for tests that check a
// binary contacts nothing (an API server, an ARM endpoint) before its flags are valid.
package trap

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// Server counts the connections made to it and closes each at once.
type Server struct {
	listener net.Listener
	contacts atomic.Int64
}

// Listen starts a trap on loopback; it stops when the test ends.
func Listen(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{listener: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.contacts.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return s
}

// URL is the trap's address as an https:// URL.
func (s *Server) URL() string { return "https://" + s.listener.Addr().String() }

// Contacts is the number of connections made so far.
func (s *Server) Contacts() int64 { return s.contacts.Load() }

// Kubeconfig writes a kubeconfig whose API server is the trap and returns its path.
func (s *Server) Kubeconfig(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: trap, cluster: {server: %q, insecure-skip-tls-verify: true}}]
users: [{name: trap, user: {token: trap}}]
contexts: [{name: trap, context: {cluster: trap, user: trap}}]
current-context: trap
`, s.URL())
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
