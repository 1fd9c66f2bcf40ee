package proxy

import (
	"bufio"
	"net/netip"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// readRequest parses a request the way the server does (so its raw header block is kept).
func readRequest(t testing.TB, headers string) *fasthttp.Request {
	t.Helper()
	req := new(fasthttp.Request)
	raw := "GET /items/1 HTTP/1.1\r\nHost: api.example.com\r\n" + headers + "\r\n"
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return req
}

// fieldLines returns the "Name: value" lines of name in the serialised header, in order.
func fieldLines(h *fasthttp.RequestHeader, name string) []string {
	var lines []string
	for _, line := range strings.Split(h.String(), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, name) {
			lines = append(lines, strings.TrimSpace(v))
		}
	}
	return lines
}

func TestPrepareRequest(t *testing.T) {
	fwd := &Forwarded{Peer: netip.MustParseAddr("10.0.0.9"), Proto: "https", RequestID: []byte("rid-1")}
	tests := []struct {
		name    string
		headers string
		// plugin adds fields after parsing, as a plugin would through the exchange (with their Classify bits).
		plugin map[string]string
		want   map[string][]string // field → its lines after PrepareRequest (nil: absent)
	}{
		{name: "none sent",
			want: map[string][]string{"X-Forwarded-For": {"10.0.0.9"}, "X-Forwarded-Host": {"api.example.com"},
				"X-Forwarded-Proto": {"https"}, "X-Request-Id": {"rid-1"}}},
		{name: "client's X-Forwarded-For lines are joined in order before the peer",
			headers: "X-Forwarded-For: 1.1.1.1\r\nAccept: */*\r\nx-forwarded-for: 2.2.2.2, 3.3.3.3\r\n",
			want:    map[string][]string{"X-Forwarded-For": {"1.1.1.1, 2.2.2.2, 3.3.3.3, 10.0.0.9"}}},
		{name: "spoofed forwarding fields are replaced, every line",
			headers: "X-Forwarded-Host: evil.example\r\nX-Forwarded-Host: evil2.example\r\n" +
				"X-Forwarded-Proto: http\r\nX-Request-Id: client-chosen\r\n",
			want: map[string][]string{"X-Forwarded-Host": {"api.example.com"}, "X-Forwarded-Proto": {"https"},
				"X-Request-Id": {"rid-1"}}},
		{name: "hop-by-hop fields and those Connection names are removed",
			headers: "Connection: keep-alive, X-Private\r\nX-Private: secret\r\nUpgrade: websocket\r\n" +
				"Proxy-Authorization: Basic eA==\r\nTE: trailers\r\nX-Kept: yes\r\n",
			want: map[string][]string{"Connection": nil, "X-Private": nil, "Upgrade": nil,
				"Proxy-Authorization": nil, "Te": nil, "X-Kept": {"yes"}}},
		{name: "cookies pass through as sent",
			headers: "Cookie: a=b; c=\"x y\"; d=1,2\r\n",
			want:    map[string][]string{"Cookie": {"a=b; c=\"x y\"; d=1,2"}}},
		{name: "fields a plugin added count like the client's",
			plugin: map[string]string{"X-Forwarded-For": "5.5.5.5", "X-Request-Id": "plugin", "Keep-Alive": "timeout=1"},
			want: map[string][]string{"X-Forwarded-For": {"5.5.5.5, 10.0.0.9"}, "X-Request-Id": {"rid-1"},
				"Keep-Alive": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := readRequest(t, tt.headers)
			touched := 0
			for k, v := range tt.plugin {
				req.Header.Add(k, v)
				touched |= Classify([]byte(k))
			}
			PrepareRequest(&req.Header, fwd, touched)
			for name, want := range tt.want {
				got := fieldLines(&req.Header, name)
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s = %q, want %q\nheader:\n%s", name, got, want, req.Header.String())
				}
			}
		})
	}
}

// A request built in code has no raw header block: every field it has is still found.
func TestPrepareRequestBuiltInCode(t *testing.T) {
	var req fasthttp.Request
	req.Header.SetHost("api.example.com")
	req.Header.Set("X-Forwarded-For", "1.1.1.1")
	req.Header.Set("Connection", "close")
	PrepareRequest(&req.Header, &Forwarded{Peer: netip.MustParseAddr("10.0.0.9"), Proto: "http"}, 0)
	if got := fieldLines(&req.Header, "X-Forwarded-For"); len(got) != 1 || got[0] != "1.1.1.1, 10.0.0.9" {
		t.Fatalf("X-Forwarded-For = %q", got)
	}
	if req.Header.ConnectionClose() {
		t.Fatal("the connection-close flag was kept")
	}
}

// FuzzPrepareRequest checks the one-pass path against the path that assumes every field may be present: for any
// header block both give the same request, with one line of each forwarding field and no hop-by-hop field.
func FuzzPrepareRequest(f *testing.F) {
	f.Add("X-Forwarded-For: 1.1.1.1\r\nConnection: x-a\r\nx-a: 1\r\n")
	f.Add("Cookie: a=\"b c\"\r\nx-request-id: z\r\nKeep-Alive: 1\r\n")
	f.Add("TE: trailers\r\nX-Forwarded-Host: a\r\nX-Forwarded-Host: b\r\n")
	fwd := &Forwarded{Peer: netip.MustParseAddr("192.0.2.1"), Proto: "http", RequestID: []byte("id")}
	f.Fuzz(func(t *testing.T, headers string) {
		raw := "GET / HTTP/1.1\r\nHost: h\r\n" + headers + "\r\n"
		fast, slow := new(fasthttp.Request), new(fasthttp.Request)
		if fast.Read(bufio.NewReader(strings.NewReader(raw))) != nil {
			return
		}
		if err := slow.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
			t.Fatal(err)
		}
		PrepareRequest(&fast.Header, fwd, 0)
		PrepareRequest(&slow.Header, fwd, ^0)
		if a, b := fast.Header.String(), slow.Header.String(); a != b {
			t.Fatalf("one-pass and full paths differ:\n%q\n%q", a, b)
		}
		for _, name := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id"} {
			if n := len(fieldLines(&fast.Header, name)); n != 1 {
				t.Fatalf("%d lines of %s in\n%s", n, name, fast.Header.String())
			}
		}
		for _, name := range hopByHop {
			if v := fast.Header.Peek(name); len(v) > 0 {
				t.Fatalf("hop-by-hop %s = %q survived", name, v)
			}
		}
	})
}

// BenchmarkPrepareRequest is the forwarding preparation of a typical client request (no forwarding or hop-by-hop
// field), against the same work done with a Set per field.
func BenchmarkPrepareRequest(b *testing.B) {
	const headers = "Accept: */*\r\nAccept-Encoding: gzip\r\nAuthorization: Bearer x\r\nUser-Agent: bench\r\nCookie: a=b\r\n"
	fwd := &Forwarded{Peer: netip.MustParseAddr("10.0.0.9"), Proto: "http", RequestID: []byte("0123456789ab-0000000000000001")}
	b.Run("one-pass", func(b *testing.B) {
		base := readRequest(b, headers)
		var req fasthttp.Request
		b.ReportAllocs()
		for b.Loop() {
			base.Header.CopyTo(&req.Header)
			PrepareRequest(&req.Header, fwd, 0)
		}
	})
	b.Run("set-per-field", func(b *testing.B) {
		base := readRequest(b, headers)
		var req fasthttp.Request
		var ip [64]byte
		b.ReportAllocs()
		for b.Loop() {
			base.Header.CopyTo(&req.Header)
			req.Header.SetBytesKV(headerXFF, fwd.Peer.AppendTo(ip[:0]))
			req.Header.SetBytesKV(headerXFH, req.Header.Host())
			req.Header.SetBytesK(headerXFP, fwd.Proto)
			req.Header.SetBytesKV(headerRequestID, fwd.RequestID)
			stripRequest(&req.Header)
		}
	})
}
