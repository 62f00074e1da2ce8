package antispoof

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

func TestGCRemovesExactlyThePodsNotKept(t *testing.T) {
	freshTable(t)
	for i := range 3 {
		install(t, pod(1001+i, fmt.Sprintf("10.244.1.%d", i+2), fmt.Sprintf("fd12:3456:789a:0:1::%d", i+2)))
	}
	removed, err := GC(context.Background(), func(index int) bool { return index == 1002 })
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if !slices.Equal(removed, []int{1001, 1003}) {
		t.Errorf("GC removed %v, want [1001 1003]", removed)
	}
	if got := indexes(t); !slices.Equal(got, []int{1002}) {
		t.Errorf("after GC: registered ports %v, want [1002]", got)
	}
}

// GC deletes in a few transactions (each waits for the kernel once), more pods than one
// batch holds, and a pod with some elements already gone fails the batch it is in but
// not the GC.
func TestGCRemovesMorePodsThanABatchEvenWithSomeElementsGone(t *testing.T) {
	freshTable(t)
	n := removeBatch*2 + 10
	for i := range n {
		install(t, pod(1001+i, fmt.Sprintf("10.244.%d.%d", 1+i/250, 2+i%250), fmt.Sprintf("fd12:3456:789a:0:1::%x", 2+i)))
	}
	partly := pod(1001, "10.244.1.2") // its port and IPv4 elements go; its MAC and IPv6 ones stay
	partly.MAC = nil
	if err := Remove(partly); err != nil {
		t.Fatal(err)
	}
	removed, err := GC(context.Background(), func(int) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != n {
		t.Errorf("GC removed %d ports, want %d", len(removed), n)
	}
	if got := indexes(t); len(got) != 0 {
		t.Errorf("after GC: %d ports still registered", len(got))
	}
}
