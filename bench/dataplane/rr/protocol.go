package main

import (
	"fmt"
	"io"
	"net/netip"

	"golang.org/x/sys/unix"
)

// The protocol, both ends: the client announces the request size once, in 8 bytes big
// endian, then sends requests of that size, each answered by one byte.
const (
	// chunk is how much one write or read moves: iperf3's default for TCP.
	chunk = 128 << 10
	// maxSize bounds -size: a gigabyte takes a fraction of a second at the speeds measured.
	maxSize = 1 << 30
)

// sockaddr is the socket address of ap and its family.
func sockaddr(ap netip.AddrPort) (unix.Sockaddr, int) {
	if a := ap.Addr(); a.Is4() || a.Is4In6() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.Unmap().As4()}, unix.AF_INET
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}, unix.AF_INET6
}

// fdConn reads and writes a socket with blocking system calls, so that io.ReadFull and the
// like work on it without Go's network poller.
type fdConn int

// Read is read(2), with io.Reader's end of stream: read(2) returns 0 and no error once the
// peer has closed, where io.Reader returns io.EOF.
func (c fdConn) Read(b []byte) (int, error) {
	n, err := unix.Read(int(c), b)
	switch {
	case err != nil:
		return 0, err
	case n == 0 && len(b) > 0:
		return 0, io.EOF
	}
	return n, nil
}

// writeAll writes all of b, however many system calls it takes.
func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		b = b[n:]
	}
	return nil
}
