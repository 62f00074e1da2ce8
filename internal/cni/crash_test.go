package cni_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

func TestKilledAddsThenGCLeakNothingAndSurvivorsStillWork(t *testing.T) {
	nw := newNetwork(t)
	nw.bin = pausablePluginDir(t)
	nw.reload("1.1.0")
	survivors := []*pod{nw.addPod("survivor-0"), nw.addPod("survivor-1")}
	var killed []*cnitest.PodNS

	// At every step of ADD, deterministically: the plugin pauses there and is killed.
	for _, step := range []string{"allocated", "veth", "registered", "configured", "done"} {
		sandbox := newSandbox(t)
		killed = append(killed, sandbox)
		file := filepath.Join(t.TempDir(), "paused")
		rt := cnitest.Runtime("killed-at-"+step, sandbox.Path, "eth0",
			[2]string{"DUALNET_TEST_PAUSE_AT", step}, [2]string{"DUALNET_TEST_PAUSE_FILE", file})
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { _, err := nw.drv.Add(ctx, rt); errc <- err }()
		waitForPause(t, step, file, errc)
		cancel() // libcni's exec.CommandContext sends SIGKILL
		if err := <-errc; err == nil {
			t.Fatalf("ADD killed at %q succeeded", step)
		}
	}
	// And at random points: a runtime timeout that lands wherever it lands.
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 4))
	for i := 0; i < 24; i++ {
		sandbox := newSandbox(t)
		rt := cnitest.Runtime(fmt.Sprintf("random-kill-%d", i), sandbox.Path, "eth0")
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(20000))*time.Microsecond)
		res, err := nw.drv.Add(ctx, rt)
		cancel()
		if err != nil {
			killed = append(killed, sandbox)
			continue
		}
		p := &pod{ns: sandbox, rt: rt}
		if p.result, err = current.NewResultFromResult(res); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = nw.drv.Del(context.Background(), rt) })
		survivors = append(survivors, p)
	}
	t.Logf("%d survivors, %d ADDs killed", len(survivors), len(killed))
	waitForNoPlugins(t)

	var valid []types.GCAttachment
	for _, p := range survivors {
		valid = append(valid, types.GCAttachment{ContainerID: p.rt.ContainerID, IfName: p.rt.IfName})
	}
	if err := nw.drv.GC(context.Background(), valid); err != nil {
		t.Fatalf("GC: %v", err)
	}

	var want []string
	for _, p := range survivors {
		veth := p.result.Interfaces[1].Name
		want = append(want, "store pod/"+p.rt.ContainerID+":eth0", "veth "+veth)
		var addrs []netip.Addr
		for i := range p.result.IPs {
			want = append(want, "store ip/"+p.addr(i).String())
			addrs = append(addrs, p.addr(i))
		}
		mac, _ := net.ParseMAC(p.result.Interfaces[2].Mac)
		sources := antispoof.Pod{MAC: mac, Addrs: addrs}.Sources()
		want = append(want, fmt.Sprintf("anti-spoofing port %s %v", veth, slices.SortedFunc(slices.Values(sources), netip.Addr.Compare)))
	}
	got := nw.leftovers()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		out, _ := exec.Command("ip", "-d", "link").CombinedOutput()
		t.Logf("%s", out)
		t.Errorf("after GC the node holds\n%s\nwant exactly the survivors'\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, sandbox := range killed {
		if out := inPod(t, sandbox, "ip", "-o", "link"); strings.Contains(out, "eth0") {
			t.Errorf("killed ADD left eth0 in %s:\n%s", sandbox.Name, out)
		}
	}
	first, last := survivors[0], survivors[len(survivors)-1]
	for i := range nw.cidrs {
		mustReach(t, first, first.addr(i), last.addr(i))
		mustReach(t, last, last.addr(i), nw.gateway(i))
	}
	for _, p := range survivors {
		if err := nw.drv.Check(context.Background(), p.rt); err != nil {
			t.Errorf("CHECK %s after GC: %v", p.rt.ContainerID, err)
		}
	}
}

var pausable struct {
	once sync.Once
	dir  string
	err  error
}

// pausablePluginDir builds, once, the plugin with the pause hook (testhook_on.go) into a
// directory of its own, so that only the tests that kill the plugin at a step run it.
func pausablePluginDir(t *testing.T) string {
	t.Helper()
	pausable.once.Do(func() {
		pausable.dir = filepath.Join(binDir, "pausable")
		pausable.err = cnitest.Build(filepath.Join(pausable.dir, "dualnet"), "github.com/dualnet/dualnet/cmd/dualnet-cni", "dualnet_testhooks")
	})
	if pausable.err != nil {
		t.Fatal(pausable.err)
	}
	return pausable.dir
}

// waitForPause waits until the plugin reports that it reached step.
func waitForPause(t *testing.T, step, file string, errc chan error) {
	t.Helper()
	poll.Eventually(t, 20*time.Second, fmt.Sprintf("the plugin pauses at %q", step), func() error {
		select {
		case err := <-errc:
			t.Fatalf("ADD ended before pausing at %q: %v", step, err)
		default:
		}
		_, err := os.Stat(file)
		return err
	})
}

// waitForNoPlugins waits until no plugin or nft process runs in this node namespace: a
// killed plugin's nft child dies of PR_SET_PDEATHSIG, but a batch it already sent may land
// just after the plugin is reaped.
func waitForNoPlugins(t *testing.T) {
	t.Helper()
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	poll.Eventually(t, 20*time.Second, "no plugin or nft process left", func() error {
		procs, _ := filepath.Glob("/proc/[0-9]*")
		for _, p := range procs {
			comm, _ := os.ReadFile(p + "/comm")
			name := strings.TrimSpace(string(comm))
			if name != "nft" && name != "dualnet" {
				continue
			}
			if ns, _ := os.Readlink(p + "/ns/net"); ns == self {
				return fmt.Errorf("%s %s still runs in the node namespace", p, name)
			}
		}
		return nil
	})
}
