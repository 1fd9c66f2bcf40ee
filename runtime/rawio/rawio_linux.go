//go:build linux

package rawio

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// Conn is a *net.TCPConn whose Read and Write make raw system calls. Everything else (deadlines, Close, addresses,
// CloseWrite, socket options) is the TCPConn's. It is safe for the same concurrent use as net.Conn.
type Conn struct {
	*net.TCPConn
	raw syscall.RawConn

	// The callbacks handed to raw.Read and raw.Write are made once per connection, with their arguments and
	// results in these fields: a closure made per call would escape to the heap, an allocation per read.
	rmu     sync.Mutex
	rbuf    []byte
	rn      int
	rerr    error
	readFn  func(fd uintptr) bool
	wmu     sync.Mutex
	wbuf    []byte
	wn      int
	werr    error
	writeFn func(fd uintptr) bool
}

// Wrap returns c with raw reads and writes when it is a TCP connection, else c itself.
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	rc := &Conn{TCPConn: tc, raw: raw}
	rc.readFn = rc.read
	rc.writeFn = rc.write
	return rc
}

// Read reads like net.TCPConn.Read: at least one byte, io.EOF at the end of the stream, a deadline error (a
// net.Error whose Timeout is true, matching os.ErrDeadlineExceeded) when the read deadline passes first.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	c.rbuf, c.rn, c.rerr = p, 0, nil
	err := c.raw.Read(c.readFn)
	n, rerr := c.rn, c.rerr
	c.rbuf, c.rerr = nil, nil
	c.rmu.Unlock()
	if err == nil {
		err = rerr
	}
	if err != nil && err != io.EOF {
		err = c.opError("read", err)
	}
	return n, err
}

// read is the raw.Read callback: false asks the poller to wait until the socket is readable.
func (c *Conn) read(fd uintptr) bool {
	for {
		n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(c.rbuf))),
			uintptr(len(c.rbuf)))
		switch errno {
		case 0:
			c.rn = int(n)
			if n == 0 {
				c.rerr = io.EOF
			}
			return true
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			c.rerr = os.NewSyscallError("read", errno)
			return true
		}
	}
}

// Write writes all of p like net.TCPConn.Write, unless an error (a passed write deadline included) stops it; it
// returns how much was written.
func (c *Conn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.wmu.Lock()
	c.wbuf, c.wn, c.werr = p, 0, nil
	err := c.raw.Write(c.writeFn)
	n, werr := c.wn, c.werr
	c.wbuf, c.werr = nil, nil
	c.wmu.Unlock()
	if err == nil {
		err = werr
	}
	if err != nil {
		err = c.opError("write", err)
	}
	return n, err
}

// write is the raw.Write callback: it sends until all of wbuf is written or the socket is full (false: the poller
// waits until it is writable and calls again).
func (c *Conn) write(fd uintptr) bool {
	for c.wn < len(c.wbuf) {
		rest := c.wbuf[c.wn:]
		n, _, errno := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(unsafe.SliceData(rest))),
			uintptr(len(rest)), syscall.MSG_NOSIGNAL, 0, 0)
		switch errno {
		case 0:
			c.wn += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			c.werr = os.NewSyscallError("sendto", errno)
			return true
		}
	}
	return true
}

// opError wraps err as net.TCPConn does, so that callers see the same error types (net.Error, os.ErrDeadlineExceeded
// through Unwrap, syscall.Errno).
func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// Wrapped reports whether c is a connection Wrap wrapped.
func Wrapped(c net.Conn) bool {
	_, ok := c.(*Conn)
	return ok
}
