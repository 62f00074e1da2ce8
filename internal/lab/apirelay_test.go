package lab

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

func TestAPIRelayServesTheHostLoopbackAtTheSameAddressInsideANamespace(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "relay")
	// The "API server": on the host's loopback, answering every connection with a greeting.
	server, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	go func() {
		for {
			c, err := server.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hello from the host"))
			c.Close()
		}
	}()
	addr := server.Addr().String()
	dialInside := func() (string, error) {
		var got []byte
		err := InNetns(name, func() error {
			c, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(2 * time.Second))
			got, err = io.ReadAll(c)
			return err
		})
		return string(got), err
	}
	if _, err := dialInside(); err == nil {
		t.Fatalf("%s answered inside %s before the relay: the test cannot tell the relay's work", addr, name)
	}

	ctx, cancel := context.WithCancel(t.Context())
	if err := relayAPIServer(ctx, name, "https://"+addr); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if got, err := dialInside(); err != nil || got != "hello from the host" {
			t.Fatalf("connection %d to %s inside %s: %q, %v; want the host's server's greeting", i+1, addr, name, got, err)
		}
	}
	cancel()
	dptest.Eventually(t, 5*time.Second, "the relay stops listening once its context ends", func() error {
		if _, err := dialInside(); err == nil {
			return fmt.Errorf("%s still answers inside %s", addr, name)
		}
		return nil
	})
}
