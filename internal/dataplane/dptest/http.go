package dptest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// ServePeerAddress runs an HTTP server inside ns on port (both families) that answers each
// request with the address it came from, and stops it at t.Cleanup.
func ServePeerAddress(t testing.TB, ns nodens.Namespace, port int) {
	t.Helper()
	var ln net.Listener
	// The listening socket is made inside the namespace and stays there; serving it from any
	// thread is fine.
	err := ns.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", ":"+strconv.Itoa(port))
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", ns, err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ap, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, ap.Addr().Unmap())
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// PeerAddressSeen asks the server at addr:port, from inside ns, which source address it saw.
func PeerAddressSeen(ctx context.Context, ns nodens.Namespace, addr netip.Addr, port int) (netip.Addr, error) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, DialContext: ns.DialContext}}
	url := "http://" + netip.AddrPortFrom(addr, uint16(port)).String() + "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return netip.Addr{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return netip.Addr{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return netip.Addr{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return netip.Addr{}, errors.New(resp.Status + ": " + string(body))
	}
	return netip.ParseAddr(string(body))
}
