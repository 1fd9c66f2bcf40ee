// Package lazydeadline wraps network connections so that moving a deadline later costs an atomic store instead of
// a runtime timer update.
//
// An HTTP server and client re-arm read and write deadlines several times per request (idle, read, write, and the
// backend call's own), and each re-arm updates a runtime timer: measured at about 150 ns each plus timer-heap churn,
// it cost the gateway close to a tenth of its throughput on a keep-alive proxy load. Deadlines almost always move
// later, so Conn only records the wanted deadline and leaves the earlier one armed on the socket. When that earlier
// deadline passes, Read or Write sees the timeout, re-arms the socket with the deadline wanted now and carries on;
// only when the wanted deadline itself has passed does the caller get the timeout. A deadline that moves earlier (or
// one set from another goroutine to interrupt a blocked call) is armed at once. The deadlines callers see are
// therefore exact; only the number of timer updates changes.
package lazydeadline

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is a net.Conn whose deadlines are re-armed lazily. It is safe for the same concurrent use as net.Conn.
type Conn struct {
	net.Conn
	read, write direction
}

// Wrap returns c with lazy deadlines. c must have no deadline set yet.
func Wrap(c net.Conn) *Conn { return &Conn{Conn: c} }

// direction is the deadline state of one direction. Times are Unix nanoseconds; 0 means no deadline.
type direction struct {
	wanted atomic.Int64 // the deadline the caller asked for last
	armed  atomic.Int64 // the deadline set on the socket; never later than wanted while wanted is non-zero
	mu     sync.Mutex   // serialises socket updates
}

func (c *Conn) socketDeadline(d *direction, ns int64) error {
	var t time.Time
	if ns != 0 {
		t = time.Unix(0, ns)
	}
	if d == &c.read {
		return c.Conn.SetReadDeadline(t)
	}
	return c.Conn.SetWriteDeadline(t)
}

// SetReadDeadline sets the deadline for future and pending Read calls.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.set(&c.read, t) }

// SetWriteDeadline sets the deadline for future and pending Write calls.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.set(&c.write, t) }

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.set(&c.read, t); err != nil {
		return err
	}
	return c.set(&c.write, t)
}

func (c *Conn) set(d *direction, t time.Time) error {
	var ns int64
	if !t.IsZero() {
		ns = max(t.UnixNano(), 1) // a time before 1970 is in the past all the same
	}
	d.wanted.Store(ns)
	// The store above and the load below pair with arm's store of armed and load of wanted: with sequentially
	// consistent atomics one of the two sees the other's write, so a deadline cannot be left unarmed.
	if covers(d.armed.Load(), ns) {
		return nil // the armed deadline comes first; Read or Write re-arms when it passes
	}
	return c.arm(d)
}

// covers reports whether a socket armed with deadline armed needs no update for wanted: it fires no later than
// wanted (and Read or Write then re-arms), or both are "no deadline".
func covers(armed, wanted int64) bool {
	if armed == 0 {
		return wanted == 0
	}
	return wanted == 0 || wanted >= armed
}

// arm sets the socket's deadline to the wanted one, again if wanted changed meanwhile in a way the armed deadline
// would not catch.
func (c *Conn) arm(d *direction) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		ns := d.wanted.Load()
		d.armed.Store(ns)
		if err := c.socketDeadline(d, ns); err != nil {
			return err
		}
		if covers(ns, d.wanted.Load()) {
			return nil
		}
	}
}

// expired reports whether the wanted deadline of d has passed; if not, it re-arms the socket so a call that timed out
// on an earlier deadline can be retried.
func (c *Conn) expired(d *direction) bool {
	ns := d.wanted.Load()
	if ns != 0 && ns <= time.Now().UnixNano() {
		return true
	}
	return c.arm(d) != nil
}

// Read reads from the connection, waiting until the wanted read deadline.
func (c *Conn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if err == nil || n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) || c.expired(&c.read) {
			return n, err
		}
	}
}

// Write writes p, waiting until the wanted write deadline.
func (c *Conn) Write(p []byte) (int, error) {
	written := 0
	for {
		n, err := c.Conn.Write(p[written:])
		written += n
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || c.expired(&c.write) {
			return written, err
		}
	}
}
