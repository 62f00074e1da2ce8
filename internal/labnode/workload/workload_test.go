package workload

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestBuiltinKnowsImagesByNameWhateverTheRegistryTagOrDigest(t *testing.T) {
	cases := map[string]string{
		"nginx:latest":                       "nginx",
		"nginx":                              "nginx",
		"docker.io/library/nginx@sha256:abc": "nginx",
		"registry.k8s.io/e2e-test-images/agnhost:2.53": "agnhost",
		"busybox:1.36":         "busybox",
		"redis:7":              "",
		"localhost:5000/redis": "",
	}
	for image, want := range cases {
		if got := Builtin(image); got != want {
			t.Errorf("Builtin(%q) = %q, want %q", image, got, want)
		}
	}
}

func TestUnknownImageIsAnErrorNamingTheBuiltins(t *testing.T) {
	err := Run(context.Background(), "redis:7", nil, "p", &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), Names) {
		t.Fatalf("got %v", err)
	}
}

func TestConnectReportsBothEnds(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out bytes.Buffer
	err = Run(context.Background(), "agnhost", []string{"connect", l.Addr().String(), "--timeout", "2s"}, "p", &out)
	if err != nil || !strings.Contains(out.String(), "-> "+l.Addr().String()) {
		t.Fatalf("connect: %v, %q", err, out.String())
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := Run(ctx, "busybox", []string{"sh", "-c", "sleep 3600"}, "p", &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownCommandSaysWhatIsBuiltIn(t *testing.T) {
	err := Run(context.Background(), "busybox", []string{"ls", "/"}, "p", &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "built-in commands") {
		t.Fatalf("got %v", err)
	}
}
