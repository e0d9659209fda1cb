//go:build !linux

package sip

import (
	"errors"
	"net"
)

// socketBuffer is only implemented on Linux.
func socketBuffer(*net.UDPConn) (int, error) {
	return 0, errors.New("not supported on this system")
}
