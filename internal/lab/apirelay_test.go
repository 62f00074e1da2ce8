package lab

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

func TestAPIRelayServesAServerInsideANamespaceOnTheHostLoopback(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "relay")
	// The "API server": on the namespace's loopback, answering every connection with a greeting.
	var server net.Listener
	if err := netns.Do(name, func() error {
		var err error
		server, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	go func() {
		for {
			c, err := server.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hello from the control plane"))
			c.Close()
		}
	}()
	dial := func(addr string) (string, error) {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			return "", err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		got, err := io.ReadAll(c)
		return string(got), err
	}

	ctx, cancel := context.WithCancel(t.Context())
	relay, err := relayAPIServer(ctx, name, "https://"+server.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(relay)
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("relay URL %q: want https://127.0.0.1:<port> (%v)", relay, err)
	}
	for i := 0; i < 3; i++ {
		if got, err := dial(u.Host); err != nil || got != "hello from the control plane" {
			t.Fatalf("connection %d to the relay %s: %q, %v; want the greeting of the server inside %s", i+1, u.Host, got, err, name)
		}
	}
	cancel()
	poll.Eventually(t, 5*time.Second, "the relay stops listening once its context ends", func() error {
		if _, err := dial(u.Host); err == nil {
			return fmt.Errorf("%s still answers", u.Host)
		}
		return nil
	})
}
