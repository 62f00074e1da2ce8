package podipam

import (
	"fmt"
	"testing"
)

// BenchmarkAllocateRelease is one dual-stack pod's ADD and DEL as the store sees them, on a
// node already holding pods: what a node with many pods pays per pod that starts.
func BenchmarkAllocateRelease(b *testing.B) {
	for _, pods := range []int{0, 100, 200} {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			s, err := Open(b.TempDir(), dual)
			if err != nil {
				b.Fatal(err)
			}
			for i := range pods {
				if _, err := s.Allocate(Key{fmt.Sprintf("running%d", i), "eth0"}); err != nil {
					b.Fatal(err)
				}
			}
			for i := 0; b.Loop(); i++ {
				k := Key{fmt.Sprintf("new%d", i), "eth0"}
				if _, err := s.Allocate(k); err != nil {
					b.Fatal(err)
				}
				if err := s.Release(k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
