package lazydeadline

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/internal/loopback"
)

// pair returns a lazy client connection and the raw server side of a loopback TCP connection.
func pair(t testing.TB) (*Conn, net.Conn) {
	t.Helper()
	client, server := loopback.Pair(t)
	return Wrap(client), server
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// readAfter reads one byte and reports the error and how long it took.
func readAfter(c net.Conn) (time.Duration, error) {
	start := time.Now()
	var b [1]byte
	_, err := c.Read(b[:])
	return time.Since(start), err
}

func TestReadDeadlines(t *testing.T) {
	// Lower bounds are what matters (a deadline moved later must not fire early); upper bounds only catch a deadline
	// that never fires, with room for a slow CI machine.
	const short, long, slack = 50 * time.Millisecond, time.Second, 2 * time.Second
	tests := []struct {
		name string
		// set applies deadlines just before the Read.
		set func(c *Conn)
		// sendAfter, when non-zero, makes the peer send a byte after that long.
		sendAfter   time.Duration
		wantTimeout bool
		minWait     time.Duration
		maxWait     time.Duration
	}{
		{name: "expires on time", set: func(c *Conn) { c.SetReadDeadline(time.Now().Add(short)) },
			wantTimeout: true, minWait: short, maxWait: slack},
		{name: "moved later: the earlier armed deadline does not fire",
			set: func(c *Conn) {
				c.SetReadDeadline(time.Now().Add(short))
				c.SetReadDeadline(time.Now().Add(long))
			},
			wantTimeout: true, minWait: long, maxWait: long + slack},
		{name: "moved later: data after the first deadline is read",
			set: func(c *Conn) {
				c.SetReadDeadline(time.Now().Add(short))
				c.SetReadDeadline(time.Now().Add(long))
			},
			sendAfter: 2 * short, minWait: 2 * short, maxWait: long + slack},
		{name: "moved earlier: fires at the earlier one",
			set: func(c *Conn) {
				c.SetReadDeadline(time.Now().Add(time.Hour))
				c.SetReadDeadline(time.Now().Add(short))
			},
			wantTimeout: true, minWait: short, maxWait: slack},
		{name: "cleared: no timeout",
			set: func(c *Conn) {
				c.SetReadDeadline(time.Now().Add(short))
				c.SetReadDeadline(time.Time{})
			},
			sendAfter: 2 * short, minWait: 2 * short, maxWait: long + slack},
		{name: "in the past: fails at once",
			set: func(c *Conn) {
				c.SetReadDeadline(time.Now().Add(time.Hour))
				c.SetReadDeadline(time.Unix(1, 0))
			},
			wantTimeout: true, maxWait: slack},
		{name: "SetDeadline sets the read side",
			set:         func(c *Conn) { c.SetDeadline(time.Now().Add(short)) },
			wantTimeout: true, minWait: short, maxWait: slack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, peer := pair(t)
			tt.set(c)
			if tt.sendAfter > 0 {
				time.AfterFunc(tt.sendAfter, func() { peer.Write([]byte("x")) })
			}
			took, err := readAfter(c)
			if tt.wantTimeout != isTimeout(err) || (!tt.wantTimeout && err != nil) {
				t.Fatalf("Read error = %v, want timeout %v", err, tt.wantTimeout)
			}
			if took < tt.minWait-5*time.Millisecond || took > tt.maxWait {
				t.Fatalf("Read returned after %v, want between %v and %v", took, tt.minWait, tt.maxWait)
			}
		})
	}
}

func TestExpiredDeadlineKeepsFailingUntilMoved(t *testing.T) {
	c, peer := pair(t)
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := readAfter(c); !isTimeout(err) {
		t.Fatalf("first Read: %v, want a timeout", err)
	}
	if _, err := readAfter(c); !isTimeout(err) {
		t.Fatalf("second Read with the same deadline: %v, want a timeout", err)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	peer.Write([]byte("x"))
	if _, err := readAfter(c); err != nil {
		t.Fatalf("Read after moving the deadline: %v", err)
	}
}

// A deadline set from another goroutine interrupts a blocked Read, as with net.Conn.
func TestInterruptFromAnotherGoroutine(t *testing.T) {
	c, _ := pair(t)
	c.SetReadDeadline(time.Now().Add(time.Hour))
	time.AfterFunc(50*time.Millisecond, func() { c.SetReadDeadline(time.Now()) })
	took, err := readAfter(c)
	if !isTimeout(err) || took > 2*time.Second {
		t.Fatalf("Read = %v after %v, want a timeout soon after 50ms", err, took)
	}
}

// A Write blocked on a full socket buffer past an earlier, since-moved deadline completes once the peer reads; a
// Write whose deadline really passes fails with the bytes written so far.
func TestWriteDeadlines(t *testing.T) {
	c, peer := pair(t)
	big := make([]byte, 32<<20) // larger than the loopback socket buffers
	c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	go func() {
		time.Sleep(200 * time.Millisecond) // past the first deadline
		io.Copy(io.Discard, peer)
	}()
	n, err := c.Write(big)
	if err != nil || n != len(big) {
		t.Fatalf("Write = %d, %v; want all %d bytes", n, err, len(big))
	}

	c2, _ := pair(t) // a peer that never reads
	c2.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	start := time.Now()
	n, err = c2.Write(big)
	if !isTimeout(err) || n >= len(big) {
		t.Fatalf("Write to a stalled peer = %d, %v; want a timeout", n, err)
	}
	if took := time.Since(start); took < 95*time.Millisecond || took > 2*time.Second {
		t.Fatalf("Write timed out after %v, want about 100ms", took)
	}
}

// Deadlines set concurrently with reads never leave a Read blocked past the last deadline (run with -race).
func TestConcurrentSetAndRead(t *testing.T) {
	c, peer := pair(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c.SetReadDeadline(time.Now().Add(time.Duration(i%50) * time.Millisecond))
			}
		}()
	}
	go func() {
		for range 200 {
			peer.Write([]byte("x"))
			time.Sleep(time.Millisecond)
		}
	}()
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		var b [16]byte
		if _, err := c.Read(b[:]); err != nil && !isTimeout(err) {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	// The setters are gone: the final deadline must still be honoured.
	c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	for {
		took, err := readAfter(c)
		if isTimeout(err) {
			break
		}
		if err != nil || took > time.Second {
			t.Fatalf("Read = %v after %v", err, took)
		}
	}
}

// BenchmarkSetReadDeadline compares moving a read deadline later on a raw TCP connection and on a lazy one, the
// way an HTTP server does on every request of a keep-alive connection.
func BenchmarkSetReadDeadline(b *testing.B) {
	for _, lazy := range []bool{false, true} {
		name := "raw"
		if lazy {
			name = "lazy"
		}
		b.Run(name, func(b *testing.B) {
			c, _ := pair(b)
			var conn net.Conn = c.Conn
			if lazy {
				conn = c
			}
			b.ReportAllocs()
			for b.Loop() {
				conn.SetReadDeadline(time.Now().Add(time.Minute))
			}
		})
	}
}
