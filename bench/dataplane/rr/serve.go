package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"

	"golang.org/x/sys/unix"
)

// chunk is how much one write or read moves: iperf3's default for TCP.
const chunk = 128 << 10

// serve accepts one connection, reads the request size the client announces (8 bytes, big
// endian), then answers each request of that size with one byte until the client closes.
// It prints "listening" once the socket listens, which is when the client may connect.
func serve(addr string, port int) error {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", addr, err)
	}
	if port < 1 || port > 65535 {
		return fmt.Errorf("-port %d: must be 1 to 65535", port)
	}
	sa, family := sockaddr(netip.AddrPortFrom(a, uint16(port)))
	ln, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.SetsockoptInt(ln, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	if err := unix.Bind(ln, sa); err != nil {
		return fmt.Errorf("bind %s port %d: %w", addr, port, err)
	}
	if err := unix.Listen(ln, 1); err != nil {
		return err
	}
	fmt.Println("listening")
	fd, _, err := unix.Accept(ln)
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	unix.Close(ln)
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return err
	}
	header := make([]byte, 8)
	if err := readFull(fd, header); err != nil {
		return fmt.Errorf("read the request size: %w", err)
	}
	size := binary.BigEndian.Uint64(header)
	if size < 1 || size > maxSize {
		return fmt.Errorf("request size %d: must be 1 to %d", size, maxSize)
	}
	buf := make([]byte, min(size, chunk))
	for {
		for left := size; left > 0; {
			n, err := unix.Read(fd, buf[:min(left, uint64(len(buf)))])
			if err != nil {
				return fmt.Errorf("read: %w", err)
			}
			if n == 0 {
				if left == size {
					return nil // the client is done
				}
				return fmt.Errorf("read: the client closed the connection in a request")
			}
			left -= uint64(n)
		}
		if _, err := unix.Write(fd, buf[:1]); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
}

// readFull reads len(buf) bytes from fd.
func readFull(fd int, buf []byte) error {
	for got := 0; got < len(buf); {
		n, err := unix.Read(fd, buf[got:])
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrUnexpectedEOF
		}
		got += n
	}
	return nil
}

// sockaddr is the socket address of ap and its family.
func sockaddr(ap netip.AddrPort) (unix.Sockaddr, int) {
	if a := ap.Addr(); a.Is4() || a.Is4In6() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.Unmap().As4()}, unix.AF_INET
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}, unix.AF_INET6
}
