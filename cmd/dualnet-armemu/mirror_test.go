package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/netns"
)

// The kernel backend's errors carry no flag of their own, so armemu's say --apply-netns (or
// --pod-cidrs), never the controller's --routes-netns.
func TestMirrorErrorsNameArmemusOwnFlags(t *testing.T) {
	missing := fmt.Sprintf("dn-armemu-missing-%d", os.Getpid())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--apply-netns", missing}, `--apply-netns: network namespace "` + missing + `": open ` + netns.Path(missing)},
		{[]string{"--apply-netns", missing, "--pod-cidrs="}, "--pod-cidrs: no cluster pod CIDRs"},
	} {
		cmd := newCommand()
		cmd.SetArgs(append([]string{"--listen", "127.0.0.1:0", "--plain-http", "--subscription", "s", "--resource-group", "g", "--route-table", "rt"}, tc.args...))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := cmd.ExecuteContext(ctx)
		cancel()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "--routes-netns") {
			t.Errorf("%v: error %v, want one starting %q and not naming --routes-netns", tc.args, err, tc.want)
		}
	}
}
