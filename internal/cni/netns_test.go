package cni

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

func TestAttachmentOfNamesTheVariableAndTheRule(t *testing.T) {
	for _, tc := range []struct {
		id, ifName string
		code       uint
		says       []string
	}{
		{"", "eth0", types.ErrUnknownContainer, []string{"CNI_CONTAINERID", "missing containerID"}},
		{"../etc", "eth0", types.ErrInvalidEnvironmentVariables, []string{`CNI_CONTAINERID "../etc"`, "letters, digits"}},
		{"c1", "", types.ErrInvalidEnvironmentVariables, []string{`CNI_IFNAME ""`, "1 to 15 bytes"}},
		{"c1", "eth0:1", types.ErrInvalidEnvironmentVariables, []string{`CNI_IFNAME "eth0:1"`, "no '/', ':', whitespace or NUL"}},
		{"c1", "n\x001", types.ErrInvalidEnvironmentVariables, []string{"CNI_IFNAME", "holds a NUL"}},
		{"c1", strings.Repeat("e", 16), types.ErrInvalidEnvironmentVariables, []string{"CNI_IFNAME", "too long"}},
	} {
		_, err := attachmentOf(&Args{ContainerID: tc.id, IfName: tc.ifName})
		var e *types.Error
		if !errors.As(err, &e) || e.Code != tc.code {
			t.Errorf("attachmentOf(%q, %q) = %v, want code %d", tc.id, tc.ifName, err, tc.code)
			continue
		}
		for _, want := range tc.says {
			if !strings.Contains(e.Msg, want) {
				t.Errorf("attachmentOf(%q, %q) = %q, want it to say %q", tc.id, tc.ifName, e.Msg, want)
			}
		}
	}
	if k, err := attachmentOf(&Args{ContainerID: strings.Repeat("a", 300), IfName: "eth0"}); err != nil || len(k.ContainerID) != 300 {
		t.Errorf("attachmentOf with a 300-byte ID = %v, %v; CNI puts no limit on an ID's length", k, err)
	}
}

// TestInPodNSRunsThereAndComesBack: f runs in the pod's namespace, its error comes back
// saying where and what, and no thread of the plugin stays in the pod's namespace after.
func TestInPodNSRunsThereAndComesBack(t *testing.T) {
	pod, err := cnitest.NewPodNS("innetns")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pod.Delete() })
	podNS, err := openPodNS(pod.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer podNS.Close()
	var podIno unix.Stat_t
	if err := unix.Fstat(int(podNS.Fd()), &podIno); err != nil {
		t.Fatal(err)
	}
	node := threadNS(t)

	var ran unix.Stat_t
	err = inPodNS(podNS, "looking", func() error {
		if err := unix.Stat("/proc/thread-self/ns/net", &ran); err != nil { // f's thread, locked
			t.Error(err)
		}
		return errors.New("boom")
	})
	if ran.Ino != podIno.Ino {
		t.Errorf("f ran in namespace %d, want the pod's %d", ran.Ino, podIno.Ino)
	}
	if err == nil || !strings.Contains(err.Error(), pod.Path) || !strings.Contains(err.Error(), "looking: boom") {
		t.Errorf("inPodNS error = %v, want it to name %s, what was being done and f's error", err, pod.Path)
	}
	// Every thread the process runs goroutines on is the node's again.
	for range 20 {
		if got := threadNS(t); got != node {
			t.Fatalf("a thread is in namespace %d after inPodNS, want the node's %d", got, node)
		}
	}
}

// threadNS is the inode of the calling thread's network namespace, read on a locked thread.
func threadNS(t *testing.T) uint64 {
	t.Helper()
	done := make(chan uint64)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var st unix.Stat_t
		if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
			t.Error(err)
		}
		done <- st.Ino
	}()
	return <-done
}
