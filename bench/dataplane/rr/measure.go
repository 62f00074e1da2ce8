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

// report is what the client prints, one line per server.
type report struct {
	Transactions int     `json:"transactions"`
	P50          int64   `json:"p50_ns"`
	P99          int64   `json:"p99_ns"`
	Gbps         float64 `json:"gbps"`        // the request size over the p50
	Retransmits  uint32  `json:"retransmits"` // segments the client sent again after the warm-up (TCP_INFO)
}

// run measures every target and prints their reports, in the order given.
func run(to targets, d time.Duration, slice, size int) error {
	if d <= 0 {
		return fmt.Errorf("-seconds %v: must be more than 0", d.Seconds())
	}
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

// measure connects to every target, warms the connections up in turns (the first requests
// pay for the caches and the connection's slow start), then takes turns among them, slice
// requests each, until d has passed.
func measure(to targets, d time.Duration, slice, size int) ([]report, error) {
	conns := make([]int, len(to))
	for i, t := range to {
		fd, err := dial(t, size)
		if err != nil {
			return nil, err
		}
		defer unix.Close(fd)
		conns[i] = fd
	}
	buf := make([]byte, min(size, chunk))
	turn := func(count int, took func(i int, d time.Duration)) error {
		for i, fd := range conns {
			for range count {
				d, err := request(fd, size, buf)
				if err != nil {
					return fmt.Errorf("%s: %w", to[i], err)
				}
				took(i, d)
			}
		}
		return nil
	}
	// About 1000 round trips' worth, and at least one request.
	if err := turn(max(1, 1000/((size+chunk-1)/chunk)), func(int, time.Duration) {}); err != nil {
		return nil, err
	}
	retransBefore := make([]uint32, len(conns))
	for i := range conns {
		var err error
		if retransBefore[i], err = retransmits(conns[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", to[i], err)
		}
	}
	samples := make([][]int64, len(to))
	for end := time.Now().Add(d); time.Now().Before(end); {
		if err := turn(slice, func(i int, d time.Duration) { samples[i] = append(samples[i], int64(d)) }); err != nil {
			return nil, err
		}
	}
	reports := make([]report, len(to))
	for i, s := range samples {
		if len(s) == 0 {
			return nil, fmt.Errorf("%s: no request in %s", to[i], d)
		}
		slices.Sort(s)
		r := report{Transactions: len(s), P50: s[(len(s)-1)*50/100], P99: s[(len(s)-1)*99/100]}
		r.Gbps = float64(size) * 8 / float64(r.P50)
		after, err := retransmits(conns[i])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", to[i], err)
		}
		r.Retransmits = after - retransBefore[i]
		reports[i] = r
	}
	return reports, nil
}

// retransmits is how many segments the connection has sent again, from TCP_INFO.
func retransmits(fd int) (uint32, error) {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, fmt.Errorf("TCP_INFO: %w", err)
	}
	return info.Total_retrans, nil
}

// request sends size bytes on fd, chunk by chunk from buf, and waits for the one-byte answer,
// and says how long that took.
func request(fd, size int, buf []byte) (time.Duration, error) {
	start := time.Now()
	for left := size; left > 0; left -= min(left, len(buf)) {
		if err := writeAll(fd, buf[:min(left, len(buf))]); err != nil {
			return 0, err
		}
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
			return fmt.Errorf("%s: socket: %w", t, err)
		}
		if err := unix.Connect(fd, sa); err != nil {
			unix.Close(fd)
			return fmt.Errorf("%s: connect: %w", t, err)
		}
		return nil
	}
	if t.netns == "" {
		err = connect()
	} else {
		err = netns.Do(t.netns, connect)
	}
	if err != nil {
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("%s: TCP_NODELAY: %w", t, err)
	}
	if err := writeAll(fd, binary.BigEndian.AppendUint64(nil, uint64(size))); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("%s: send the request size: %w", t, err)
	}
	return fd, nil
}
