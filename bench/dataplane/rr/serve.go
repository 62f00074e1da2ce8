package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"golang.org/x/sys/unix"
)

// listen opens the listening socket of -listen addr -port port, in the caller's network
// namespace. The caller closes it.
func listen(addr string, port int) (int, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return -1, fmt.Errorf("-listen %q: %w", addr, err)
	}
	if port < 1 || port > 65535 {
		return -1, fmt.Errorf("-port %d: must be 1 to 65535", port)
	}
	sa, family := sockaddr(netip.AddrPortFrom(a, uint16(port)))
	ln, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("-listen %s: socket: %w", addr, err)
	}
	err = unix.SetsockoptInt(ln, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err == nil {
		err = unix.Bind(ln, sa)
	}
	if err == nil {
		err = unix.Listen(ln, 1)
	}
	if err != nil {
		unix.Close(ln)
		return -1, fmt.Errorf("-listen %s -port %d: %w", addr, port, err)
	}
	return ln, nil
}

// serve accepts one connection on ln, reads the request size the client announces, then
// answers each request of that size with one byte until the client closes.
func serve(ln int) error {
	fd, _, err := unix.Accept(ln)
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return fmt.Errorf("TCP_NODELAY: %w", err)
	}
	header := make([]byte, 8)
	if _, err := io.ReadFull(fdConn(fd), header); err != nil {
		return fmt.Errorf("read the request size: %w", err)
	}
	size := binary.BigEndian.Uint64(header)
	if size < 1 || size > maxSize {
		return fmt.Errorf("request size %d: must be 1 to %d", size, maxSize)
	}
	buf := make([]byte, min(size, chunk))
	for {
		for left := size; left > 0; {
			n, err := io.ReadFull(fdConn(fd), buf[:min(left, uint64(len(buf)))])
			if errors.Is(err, io.EOF) && left == size {
				return nil // the client is done, between requests
			}
			if err != nil {
				return fmt.Errorf("read a request: %w", err)
			}
			left -= uint64(n)
		}
		if err := writeAll(fd, buf[:1]); err != nil {
			return err
		}
	}
}
