//go:build linux

package rawio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/internal/loopback"
)

// pair returns a wrapped client connection and the server side of a loopback TCP connection.
func pair(t testing.TB) (*Conn, net.Conn) {
	t.Helper()
	client, server := loopback.Pair(t)
	wrapped, ok := Wrap(client).(*Conn)
	if !ok {
		t.Fatalf("Wrap(%T) did not wrap", client)
	}
	return wrapped, server
}

func TestReadWrite(t *testing.T) {
	c, server := pair(t)
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := io.ReadFull(server, buf[:4])
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("server read %q, %v", buf[:n], err)
	}
	if _, err := server.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	n, err = c.Read(buf)
	if err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if n, err := c.Read(nil); n != 0 || err != nil {
		t.Fatalf("an empty read gave %d, %v", n, err)
	}
	if n, err := c.Write(nil); n != 0 || err != nil {
		t.Fatalf("an empty write gave %d, %v", n, err)
	}
}

// TestReadWaitsForData: a read with nothing to read waits in the poller (it does not spin, return 0 or fail).
func TestReadWaitsForData(t *testing.T) {
	c, server := pair(t)
	go func() {
		time.Sleep(50 * time.Millisecond)
		server.Write([]byte("late"))
	}()
	start := time.Now()
	buf := make([]byte, 8)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "late" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if waited := time.Since(start); waited < 40*time.Millisecond {
		t.Fatalf("the read returned after %v, before the data was sent", waited)
	}
}

func TestEOF(t *testing.T) {
	c, server := pair(t)
	server.Write([]byte("last"))
	server.Close()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "last" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	if n, err := c.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Fatalf("read after the end = %d, %v; want 0, io.EOF", n, err)
	}
}

// TestDeadlines: the socket's deadlines apply as on a net.TCPConn, with the same error.
func TestDeadlines(t *testing.T) {
	c, _ := pair(t)
	c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	start := time.Now()
	_, err := c.Read(make([]byte, 4))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a timeout matching os.ErrDeadlineExceeded", err)
	}
	if waited := time.Since(start); waited < 25*time.Millisecond || waited > 2*time.Second {
		t.Fatalf("the read timed out after %v, want about 30ms", waited)
	}

	// A write into a full socket waits in the poller and times out the same way, reporting what it wrote.
	c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	big := make([]byte, 64<<20) // far more than the socket buffers hold; nobody reads the other side
	n, err := c.Write(big)
	if !errors.Is(err, os.ErrDeadlineExceeded) || n <= 0 || n >= len(big) {
		t.Fatalf("write past the deadline: %d bytes, %v; want part of it and a timeout", n, err)
	}
}

// TestLargeWrite: a write bigger than the socket buffers is sent whole while the peer reads it slowly.
func TestLargeWrite(t *testing.T) {
	c, server := pair(t)
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for b.Len() < len(want) {
			n, err := server.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		got <- b.Bytes()
	}()
	n, err := c.Write(want)
	if err != nil || n != len(want) {
		t.Fatalf("wrote %d of %d: %v", n, len(want), err)
	}
	if !bytes.Equal(<-got, want) {
		t.Fatal("the peer received something else")
	}
}

// TestWriteToClosedPeer: writing to a peer that is gone fails with an error (EPIPE or ECONNRESET); it never raises
// SIGPIPE, which would kill the process.
func TestWriteToClosedPeer(t *testing.T) {
	c, server := pair(t)
	server.(*net.TCPConn).SetLinger(0) // close with a reset
	server.Close()
	time.Sleep(20 * time.Millisecond)
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = c.Write([]byte("anyone there?"))
	}
	if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("write to a closed peer: %v, want EPIPE or ECONNRESET", err)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "write" {
		t.Fatalf("error %v is not a write *net.OpError", err)
	}
}

// TestCloseUnblocksRead: closing the connection from another goroutine ends a read waiting for data, with
// net.ErrClosed as on a net.TCPConn.
func TestCloseUnblocksRead(t *testing.T) {
	c, _ := pair(t)
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 4))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the read did not return after Close")
	}
}

// TestConcurrentReadWrite exchanges data in both directions at once (run with -race).
func TestConcurrentReadWrite(t *testing.T) {
	c, server := pair(t)
	go io.Copy(server, server) // echo
	const rounds = 200
	msg := bytes.Repeat([]byte("x"), 1000)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range rounds {
			if _, err := c.Write(msg); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	got, err := io.ReadAll(io.LimitReader(c, int64(rounds*len(msg))))
	wg.Wait()
	if err != nil || len(got) != rounds*len(msg) {
		t.Fatalf("echoed %d of %d bytes: %v", len(got), rounds*len(msg), err)
	}
}

func TestWrapLeavesOtherConnsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if Wrap(a) != a {
		t.Fatal("a connection that is not TCP was wrapped")
	}
}

// TestNoAllocations: a read and a write cost no allocation (the callbacks are made once per connection).
func TestNoAllocations(t *testing.T) {
	c, server := pair(t)
	go io.Copy(server, server)
	msg := []byte("ping")
	buf := make([]byte, 4)
	roundTrip := func() {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
	}
	roundTrip()
	if got := testing.AllocsPerRun(200, roundTrip); got > 0 {
		t.Fatalf("%.1f allocations per write and read, want 0", got)
	}
}

// BenchmarkRoundTrip is a write and a read of 64 bytes on loopback, raw against a plain net.TCPConn.
func BenchmarkRoundTrip(b *testing.B) {
	for _, name := range []string{"net", "raw"} {
		b.Run(name, func(b *testing.B) {
			c, server := pair(b)
			go io.Copy(server, server)
			var conn net.Conn = c
			if name == "net" {
				conn = c.TCPConn
			}
			msg := make([]byte, 64)
			buf := make([]byte, 64)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := conn.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(conn, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
