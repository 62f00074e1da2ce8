//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLabUpWithoutDualnetBinariesFailsClearlyAndLeavesNothing(t *testing.T) {
	l := &testLab{t: t, name: fmt.Sprintf("dn-e2ef%d", os.Getpid()), stateRoot: "/run/dualnet-lab"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	empty := t.TempDir()
	out, err := l.dualnet(ctx, l.labArgs("up", "--bin-dir="+empty)...)
	if err == nil {
		l.down()
		t.Fatalf("lab up with no binaries in %s succeeded:\n%s", empty, out)
	}
	if !strings.Contains(out, filepath.Join(empty, "dualnet-controller")+" not found") || !strings.Contains(out, "make build") {
		t.Errorf("lab up should name the missing binary and `make build`, said:\n%s", out)
	}
	for _, left := range leftovers(l.name, filepath.Join(l.stateRoot, l.name)) {
		t.Errorf("failed lab up left %s behind", left)
	}
}

func TestLabDownWithNoLabSaysNothingIsLeft(t *testing.T) {
	l := &testLab{t: t, name: fmt.Sprintf("dn-e2en%d", os.Getpid()), stateRoot: "/run/dualnet-lab"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := l.dualnet(ctx, l.labArgs("down")...)
	if err != nil || !strings.Contains(out, "nothing to remove") {
		t.Errorf("lab down with no lab: %v\n%s", err, out)
	}
}
