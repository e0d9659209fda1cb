package sip

import (
	"net"
	"syscall"
)

// socketBuffer returns the usable receive buffer of c in bytes. Linux
// reports twice the size it grants (the other half is bookkeeping).
func socketBuffer(c *net.UDPConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		n, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	}); err != nil {
		return 0, err
	}
	return n / 2, serr
}
