package edge

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
	"github.com/valyala/fasthttp"
)

var (
	srcV4 = &net.TCPAddr{IP: net.ParseIP("198.51.100.7"), Port: 4711}
	dstV4 = &net.TCPAddr{IP: net.ParseIP("10.0.0.5"), Port: 8080}
	srcV6 = &net.TCPAddr{IP: net.ParseIP("2001:db8:1::7"), Port: 4711}
	dstV6 = &net.TCPAddr{IP: net.ParseIP("2001:db8:ffff::5"), Port: 8080}
)

func proxyHeader(version byte, src, dst *net.TCPAddr) *proxyproto.Header {
	tp := proxyproto.TCPv4
	if src.IP.To4() == nil {
		tp = proxyproto.TCPv6
	}
	return &proxyproto.Header{Version: version, Command: proxyproto.PROXY, TransportProtocol: tp,
		SourceAddr: src, DestinationAddr: dst}
}

// localHeader is what a load balancer sends on a connection of its own, such as a health check: v2 LOCAL, or v1
// "PROXY UNKNOWN".
func localHeader(version byte) *proxyproto.Header {
	return &proxyproto.Header{Version: version, Command: proxyproto.LOCAL, TransportProtocol: proxyproto.UNSPEC}
}

// proxyListener listens on 127.0.0.1 with the PROXY protocol on.
func proxyListener(t *testing.T, from *TrustedProxies, timeout time.Duration) net.Listener {
	t.Helper()
	return listenT(t, ListenConfig{
		Addrs:             []string{"127.0.0.1:0"},
		ProxyProtocol:     true,
		ProxyProtocolFrom: from,
		ReadHeaderTimeout: timeout,
	})[0]
}

func writeHeader(t *testing.T, c net.Conn, h *proxyproto.Header) {
	t.Helper()
	if _, err := h.WriteTo(c); err != nil {
		t.Fatalf("writing PROXY header: %v", err)
	}
}

func TestProxyProtocolHeaders(t *testing.T) {
	tests := []struct {
		name   string
		header *proxyproto.Header
		want   net.Addr // nil: the socket peer
	}{
		{"v1 tcp4", proxyHeader(1, srcV4, dstV4), srcV4},
		{"v2 tcp4", proxyHeader(2, srcV4, dstV4), srcV4},
		{"v1 tcp6", proxyHeader(1, srcV6, dstV6), srcV6},
		{"v2 tcp6", proxyHeader(2, srcV6, dstV6), srcV6},
		{"v2 local health check", localHeader(2), nil},
		{"v1 unknown", localHeader(1), nil},
	}
	ln := proxyListener(t, nil, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := dialT(t, ln)
			writeHeader(t, client, tt.header)
			server := acceptT(t, ln)
			roundTrip(t, client, server, "ping")
			want := tt.want
			if want == nil {
				want = client.LocalAddr()
			}
			if got := server.RemoteAddr(); got.String() != want.String() {
				t.Errorf("RemoteAddr() = %v, want %v", got, want)
			}
			if tt.want != nil && server.LocalAddr().String() != tt.header.DestinationAddr.String() {
				t.Errorf("LocalAddr() = %v, want the header's destination %v", server.LocalAddr(), tt.header.DestinationAddr)
			}
			if got := PeerAddr(server.RemoteAddr()); got != PeerAddr(want) {
				t.Errorf("PeerAddr(RemoteAddr()) = %v, want %v", got, PeerAddr(want))
			}
		})
	}
}

// The listeners below are reached from 127.0.0.1, so the trust list decides whether the test client is the load
// balancer (a list containing 127.0.0.1) or an arbitrary client (a list without it).
func TestProxyProtocolPolicy(t *testing.T) {
	loopbackTrusted := mustTrusted(t, "127.0.0.0/8")
	otherTrusted := mustTrusted(t, "10.0.0.0/8", "2001:db8::/32")
	tests := []struct {
		name    string
		from    *TrustedProxies
		header  *proxyproto.Header // nil: a plain connection
		raw     string             // sent before "ping" instead of a header
		wantErr error              // the server's first Read fails with it
		want    net.Addr           // RemoteAddr on success; nil: the socket peer
	}{
		{name: "required: header accepted", from: nil, header: proxyHeader(2, srcV4, dstV4), want: srcV4},
		{name: "required: plain connection rejected", from: nil, wantErr: proxyproto.ErrNoProxyProtocol},
		{name: "required: empty list is required", from: mustTrusted(t), wantErr: proxyproto.ErrNoProxyProtocol},
		{name: "required: malformed v1 rejected", from: nil, raw: "PROXY TCP4 nonsense\r\n",
			wantErr: proxyproto.ErrCantReadAddressFamilyAndProtocol},
		{name: "required: bad v1 address rejected", from: nil, raw: "PROXY TCP4 198.51.100.999 10.0.0.5 4711 8080\r\n",
			wantErr: proxyproto.ErrInvalidAddress},
		{name: "trusted peer: header used", from: loopbackTrusted, header: proxyHeader(1, srcV4, dstV4), want: srcV4},
		{name: "trusted peer: plain connection allowed", from: loopbackTrusted},
		{name: "untrusted peer: header rejected", from: otherTrusted, header: proxyHeader(2, srcV4, dstV4),
			wantErr: proxyproto.ErrSuperfluousProxyHeader},
		{name: "untrusted peer: v1 header rejected", from: otherTrusted, header: proxyHeader(1, srcV6, dstV6),
			wantErr: proxyproto.ErrSuperfluousProxyHeader},
		{name: "untrusted peer: plain connection served as itself", from: otherTrusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln := proxyListener(t, tt.from, 0)
			client := dialT(t, ln)
			if tt.header != nil {
				writeHeader(t, client, tt.header)
			}
			if _, err := io.WriteString(client, tt.raw+"ping"); err != nil {
				t.Fatal(err)
			}
			server := acceptT(t, ln)
			_ = server.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 4)
			_, err := io.ReadFull(server, buf)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("server Read error = %v, want %v", err, tt.wantErr)
				}
				if _, err := server.Write([]byte("x")); !errors.Is(err, tt.wantErr) {
					t.Errorf("server Write error = %v, want %v (nothing may reach a rejected client)", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(buf) != "ping" {
				t.Fatalf("server read %q, %v; want \"ping\"", buf, err)
			}
			want := tt.want
			if want == nil {
				want = client.LocalAddr()
			}
			if got := server.RemoteAddr(); got.String() != want.String() {
				t.Errorf("RemoteAddr() = %v, want %v", got, want)
			}
		})
	}
}

func TestProxyProtocolHeaderTimeout(t *testing.T) {
	const timeout = 150 * time.Millisecond
	tests := []struct {
		name    string
		send    string
		wantErr error
		early   bool // fails at once instead of at the timeout
	}{
		{"silent", "", proxyproto.ErrNoProxyProtocol, false},
		{"partial v2 signature", "\r\n\r\n\x00", proxyproto.ErrNoProxyProtocol, false},
		{"partial v2 header", string(proxyproto.SIGV2) + "\x21\x11\x00\x0c\xc6\x33", proxyproto.ErrInvalidAddress, false},
		// go-proxyproto refuses a v1 line that did not arrive in one read (its slow-loris defence), without waiting.
		{"partial v1 header", "PROXY TCP4 198.51", proxyproto.ErrCantReadVersion1Header, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln := proxyListener(t, nil, timeout)
			client := dialT(t, ln)
			if _, err := io.WriteString(client, tt.send); err != nil {
				t.Fatal(err)
			}
			server := acceptT(t, ln)
			start := time.Now()
			done := make(chan error, 1)
			go func() {
				_, err := server.Read(make([]byte, 1))
				_ = server.Close() // what the HTTP server does with a failed connection
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("server Read error = %v, want %v", err, tt.wantErr)
				}
				if elapsed := time.Since(start); !tt.early && elapsed < timeout*2/3 {
					t.Errorf("connection failed after %v, before the %v header timeout", elapsed, timeout)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("a connection that sent %q was still open after 5s with a %v header timeout", tt.send, timeout)
			}
			_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := client.Read(make([]byte, 1)); err == nil {
				t.Errorf("client read %d bytes from a rejected connection", n)
			}
		})
	}
}

// TestProxyProtocolOptionalSilent pins a go-proxyproto v0.15.0 behaviour the server relies on: where the header is
// optional (USE), the header timeout only ends header detection; the silent connection is then plain traffic and
// the server's own read deadline (fasthttp's ReadTimeout) is what closes it.
func TestProxyProtocolOptionalSilent(t *testing.T) {
	const (
		headerTimeout = 50 * time.Millisecond
		readTimeout   = 600 * time.Millisecond
	)
	ln := proxyListener(t, mustTrusted(t, "127.0.0.1"), headerTimeout)
	_ = dialT(t, ln)
	server := acceptT(t, ln)
	start := time.Now()
	_ = server.SetReadDeadline(start.Add(readTimeout))
	_, err := server.Read(make([]byte, 1))
	elapsed := time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read error = %v, want the server's deadline (%v)", err, os.ErrDeadlineExceeded)
	}
	if elapsed < readTimeout*3/4 {
		t.Errorf("Read failed after %v: the header timeout (%v) ended it, not the read deadline (%v)", elapsed,
			headerTimeout, readTimeout)
	}
}

// TestFastHTTPOverProxyProtocol serves fasthttp on a PROXY-protocol listener: the handler sees the PROXY source as
// the remote address; a plain connection gets no response at all; a silent one is closed after the header timeout.
func TestFastHTTPOverProxyProtocol(t *testing.T) {
	const headerTimeout = 200 * time.Millisecond
	ln := proxyListener(t, nil, headerTimeout)
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.SetBodyString(ctx.RemoteAddr().String() + " " + PeerAddr(ctx.RemoteAddr()).String())
		},
		Logger: discardLogger{},
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Shutdown()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})

	t.Run("PROXY v2 source is the remote address", func(t *testing.T) {
		c := dialT(t, ln)
		writeHeader(t, c, proxyHeader(2, srcV4, dstV4))
		br := bufio.NewReader(c)
		for i := range 2 { // the same answer on a keep-alive connection's second request
			if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			var resp fasthttp.Response
			if err := resp.Read(br); err != nil {
				t.Fatalf("request %d: reading response: %v", i, err)
			}
			if got, want := string(resp.Body()), "198.51.100.7:4711 198.51.100.7"; got != want {
				t.Errorf("request %d: handler saw %q, want %q", i, got, want)
			}
		}
	})

	t.Run("plain connection gets nothing", func(t *testing.T) {
		c := dialT(t, ln)
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := io.ReadAll(c)
		if err != nil || len(got) != 0 {
			t.Errorf("plain connection read %q, %v; want nothing and a close", got, err)
		}
	})

	t.Run("silent connection closed after header timeout", func(t *testing.T) {
		c := dialT(t, ln)
		start := time.Now()
		_ = c.SetReadDeadline(start.Add(5 * time.Second))
		got, err := io.ReadAll(c)
		if err != nil || len(got) != 0 {
			t.Fatalf("silent connection read %q, %v; want nothing and a close", got, err)
		}
		if elapsed := time.Since(start); elapsed < headerTimeout*2/3 {
			t.Errorf("closed after %v, before the %v header timeout", elapsed, headerTimeout)
		}
	})
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

func TestProxyPolicyUnclassifiablePeer(t *testing.T) {
	policy := proxyPolicy(mustTrusted(t, "10.0.0.0/8"))
	_, err := policy(proxyproto.ConnPolicyOptions{Upstream: &net.UnixAddr{Name: "@x", Net: "unix"}})
	if !errors.Is(err, proxyproto.ErrInvalidUpstream) {
		t.Errorf("policy for a peer without IP: %v, want ErrInvalidUpstream (drop the connection, keep listening)", err)
	}
	if p, err := proxyPolicy(nil)(proxyproto.ConnPolicyOptions{}); p != proxyproto.REQUIRE || err != nil {
		t.Errorf("policy without trusted senders = %v, %v; want REQUIRE", p, err)
	}
}
