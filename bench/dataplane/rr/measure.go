package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/netns"
)

// maxSize bounds -size: a gigabyte takes a fraction of a second at the speeds measured.
const maxSize = 1 << 30

// report is what the client prints, one line per server.
type report struct {
	Transactions int     `json:"transactions"`
	P50          int64   `json:"p50_ns"`
	P99          int64   `json:"p99_ns"`
	Gbps         float64 `json:"gbps"`        // the request size over the p50
	Retransmits  uint32  `json:"retransmits"` // segments the client sent again (TCP_INFO)
}

// run measures every target and prints their reports, in the order given.
func run(to targets, d time.Duration, slice, size int) error {
	if slice < 1 {
		return fmt.Errorf("-slice %d: must be at least 1", slice)
	}
	if size < 1 || size > maxSize {
		return fmt.Errorf("-size %d: must be 1 to %d", size, maxSize)
	}
	reports, err := measure(to, d, slice, size)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for _, r := range reports {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// measure connects to every target, warms each connection up (the first requests pay for
// the caches and the connection's slow start), then takes turns among them, slice requests
// each, until d has passed.
func measure(to targets, d time.Duration, slice, size int) ([]report, error) {
	conns := make([]int, len(to))
	buf := make([]byte, min(size, chunk))
	warmUp := max(1, 1000/((size+chunk-1)/chunk))
	for i, t := range to {
		fd, err := dial(t, size)
		if err != nil {
			return nil, err
		}
		defer unix.Close(fd)
		conns[i] = fd
		for range warmUp {
			if _, err := request(fd, size, buf); err != nil {
				return nil, fmt.Errorf("%s: %w", t, err)
			}
		}
	}
	samples := make([][]int64, len(to))
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i, fd := range conns {
			for range slice {
				took, err := request(fd, size, buf)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", to[i], err)
				}
				samples[i] = append(samples[i], int64(took))
			}
		}
	}
	reports := make([]report, len(to))
	for i, s := range samples {
		slices.Sort(s)
		r := report{Transactions: len(s), P50: s[(len(s)-1)*50/100], P99: s[(len(s)-1)*99/100]}
		r.Gbps = float64(size) * 8 / float64(r.P50)
		info, err := unix.GetsockoptTCPInfo(conns[i], unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			return nil, fmt.Errorf("%s: TCP_INFO: %w", to[i], err)
		}
		r.Retransmits = info.Total_retrans
		reports[i] = r
	}
	return reports, nil
}

// request sends size bytes on fd, from buf, and waits for the one-byte answer, and says how
// long that took.
func request(fd, size int, buf []byte) (time.Duration, error) {
	start := time.Now()
	for left := size; left > 0; {
		n, err := unix.Write(fd, buf[:min(left, len(buf))])
		if err != nil {
			return 0, fmt.Errorf("write: %w", err)
		}
		left -= n
	}
	n, err := unix.Read(fd, buf[:1])
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	if n != 1 {
		return 0, fmt.Errorf("the server closed the connection")
	}
	return time.Since(start), nil
}

// dial connects to t's server from t's namespace and announces the request size. A socket
// belongs to the namespace of the thread that made it, for its whole life, so the requests
// may run on any thread.
func dial(t target, size int) (fd int, err error) {
	sa, family := sockaddr(t.addr)
	connect := func() error {
		if fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
			return err
		}
		if err := unix.Connect(fd, sa); err != nil {
			unix.Close(fd)
			return fmt.Errorf("connect to %s: %w", t.addr, err)
		}
		return nil
	}
	if t.netns == "" {
		err = connect()
	} else {
		err = netns.Do(t.netns, connect)
	}
	if err != nil {
		return 0, err
	}
	header := binary.BigEndian.AppendUint64(nil, uint64(size))
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		unix.Close(fd)
		return 0, err
	}
	if _, err := unix.Write(fd, header); err != nil {
		unix.Close(fd)
		return 0, fmt.Errorf("%s: send the request size: %w", t, err)
	}
	return fd, nil
}
