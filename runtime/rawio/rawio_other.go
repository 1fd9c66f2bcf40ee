//go:build !linux

package rawio

import "net"

// Wrap returns c: raw reads and writes are only implemented on Linux.
func Wrap(c net.Conn) net.Conn { return c }

// Wrapped reports whether c is a connection Wrap wrapped: never, off Linux.
func Wrapped(net.Conn) bool { return false }
