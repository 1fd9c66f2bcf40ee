package edge

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/lazydeadline"
	"github.com/portico-gateway/portico/runtime/rawio"
)

// listenT calls Listen and closes the listeners when the test ends.
func listenT(t *testing.T, cfg ListenConfig) []net.Listener {
	t.Helper()
	lns, err := Listen(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Listen(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	})
	return lns
}

// acceptT accepts one connection from ln, failing the test after a few seconds; the connection is closed at the end
// of the test.
func acceptT(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Accept on %v: %v", ln.Addr(), r.err)
		}
		t.Cleanup(func() { _ = r.c.Close() })
		return r.c
	case <-time.After(5 * time.Second):
		t.Fatalf("Accept on %v: nothing within 5s", ln.Addr())
		return nil
	}
}

// dialT connects to ln and closes the connection at the end of the test.
func dialT(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial %v: %v", ln.Addr(), err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// roundTrip sends msg from client to the accepted server side and checks it arrives.
func roundTrip(t *testing.T, client, server net.Conn, msg string) {
	t.Helper()
	if _, err := io.WriteString(client, msg); err != nil {
		t.Fatalf("client write: %v", err)
	}
	_ = server.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(server, buf); err != nil {
		t.Fatalf("server read: %v", err)
	}
	if string(buf) != msg {
		t.Fatalf("server read %q, want %q", buf, msg)
	}
}

func TestListenSeveralAddresses(t *testing.T) {
	addrs := []string{"127.0.0.1:0", "127.0.0.1:0"}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		_ = ln.Close()
		addrs = append(addrs, "[::1]:0")
	} else {
		t.Logf("no IPv6 loopback, testing IPv4 only: %v", err)
	}
	lns := listenT(t, ListenConfig{Addrs: addrs})
	if len(lns) != len(addrs) {
		t.Fatalf("Listen returned %d listeners for %d addresses", len(lns), len(addrs))
	}
	for i, ln := range lns {
		client := dialT(t, ln)
		server := acceptT(t, ln)
		roundTrip(t, client, server, "hello")
		want := strings.TrimSuffix(addrs[i], ":0")
		if got := ln.Addr().(*net.TCPAddr).IP.String(); "["+got+"]" != want && got != want {
			t.Errorf("listener %d bound to %v, want host %s", i, ln.Addr(), want)
		}
		if got, want := PeerAddr(server.RemoteAddr()), PeerAddr(client.LocalAddr()); got != want {
			t.Errorf("listener %d: server sees peer %v, client is %v", i, got, want)
		}
	}
}

func TestListenTakenPortClosesOthers(t *testing.T) {
	taken, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	// A port that is free now, for the first address, so that we can check afterwards that Listen released it.
	probe, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	first := probe.Addr().String()
	_ = probe.Close()

	for _, proxy := range []bool{false, true} {
		lns, err := Listen(context.Background(), ListenConfig{
			Addrs:         []string{first, taken.Addr().String()},
			ProxyProtocol: proxy,
		})
		if err == nil {
			for _, ln := range lns {
				_ = ln.Close()
			}
			t.Fatalf("Listen on a taken port succeeded")
		}
		if !strings.Contains(err.Error(), taken.Addr().String()) {
			t.Errorf("error %q does not name the taken address %s", err, taken.Addr())
		}
		if lns != nil {
			t.Errorf("Listen returned listeners %v with an error", lns)
		}
		again, err := net.Listen("tcp4", first)
		if err != nil {
			t.Fatalf("the first address %s was not released: %v", first, err)
		}
		_ = again.Close()
	}
}

func TestListenConfigErrors(t *testing.T) {
	trusted := mustTrusted(t, "10.0.0.1")
	tests := []struct {
		name string
		cfg  ListenConfig
		want string
	}{
		{"no addresses", ListenConfig{}, "no addresses"},
		{"host name", ListenConfig{Addrs: []string{"127.0.0.1:0", "localhost:8080"}}, `"localhost:8080"`},
		{"missing port", ListenConfig{Addrs: []string{"10.0.0.5"}}, `"10.0.0.5"`},
		{"named port", ListenConfig{Addrs: []string{"10.0.0.5:http"}}, `"10.0.0.5:http"`},
		{"port out of range", ListenConfig{Addrs: []string{":70000"}}, `":70000"`},
		{"negative port", ListenConfig{Addrs: []string{":-1"}}, `":-1"`},
		{"bad ip", ListenConfig{Addrs: []string{"10.0.0.300:80"}}, `"10.0.0.300:80"`},
		{"negative timeout", ListenConfig{Addrs: []string{":0"}, ProxyProtocol: true, ReadHeaderTimeout: -time.Second},
			"negative ReadHeaderTimeout"},
		{"trusted senders without proxy protocol", ListenConfig{Addrs: []string{":0"}, ProxyProtocolFrom: trusted},
			"ProxyProtocol is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lns, err := Listen(context.Background(), tt.cfg)
			if err == nil {
				for _, ln := range lns {
					_ = ln.Close()
				}
				t.Fatalf("Listen(%+v) succeeded, want an error containing %s", tt.cfg, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %s", err, tt.want)
			}
		})
	}

	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		lns, err := Listen(ctx, ListenConfig{Addrs: []string{"127.0.0.1:0"}})
		if !errors.Is(err, context.Canceled) {
			for _, ln := range lns {
				_ = ln.Close()
			}
			t.Fatalf("Listen with a cancelled context: %v, want context.Canceled", err)
		}
	})
}

func TestListenNetwork(t *testing.T) {
	tests := []struct{ addr, want string }{
		{":8080", "tcp"},
		{"0.0.0.0:8080", "tcp4"},
		{"10.0.0.5:8080", "tcp4"},
		{"[::ffff:10.0.0.5]:8080", "tcp4"},
		{"[::]:8080", "tcp6"},
		{"[::1]:8080", "tcp6"},
		{"[fe80::1%eth0]:8080", "tcp6"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, err := listenNetwork(tt.addr)
			if err != nil || got != tt.want {
				t.Errorf("listenNetwork(%q) = %q, %v; want %q", tt.addr, got, err, tt.want)
			}
		})
	}
}

// TestAcceptedConnectionsAreWrapped: the server's connections have lazy deadlines over raw reads and writes (on
// Linux), the two layers the request path's performance relies on.
func TestAcceptedConnectionsAreWrapped(t *testing.T) {
	ln := listenT(t, ListenConfig{Addrs: []string{"127.0.0.1:0"}})[0]
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lazy, ok := acceptT(t, ln).(*lazydeadline.Conn)
	if !ok {
		t.Fatal("the accepted connection has no lazy deadlines")
	}
	if runtime.GOOS == "linux" && !rawio.Wrapped(lazy.Conn) {
		t.Fatalf("the accepted connection (%T under the lazy deadlines) does not read and write raw", lazy.Conn)
	}
}
