package edge

import (
	"bufio"
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func mustTrusted(t testing.TB, list ...string) *TrustedProxies {
	t.Helper()
	tp, err := ParseTrustedProxies(list)
	if err != nil {
		t.Fatalf("ParseTrustedProxies(%q): %v", list, err)
	}
	return tp
}

// testTrusted is the trusted set most ClientIP cases use: a private IPv4 range, one IPv4 host and an IPv6 range.
var testTrusted = []string{"10.0.0.0/8", "192.0.2.10", "2001:db8:ffff::/48"}

func TestClientIP(t *testing.T) {
	tp := mustTrusted(t, testTrusted...)
	const (
		lb     = "10.0.0.2" // trusted socket peer
		client = "203.0.113.7"
	)
	tests := []struct {
		name string
		tp   *TrustedProxies
		peer string
		xff  string
		want string
	}{
		{"untrusted peer ignores xff", tp, client, "198.51.100.1", client},
		{"untrusted peer ignores garbage", tp, client, "garbage", client},
		{"empty list returns peer", mustTrusted(t), lb, client, lb},
		{"nil list returns peer", nil, lb, client, lb},
		{"trusted peer no header", tp, lb, "", lb},
		{"trusted peer only commas", tp, lb, " , ,", lb},
		{"one hop", tp, lb, client, client},
		{"two hops, spoofed left entry ignored", tp, lb, "1.1.1.1, " + client, client},
		{"trusted hops skipped", tp, lb, "1.1.1.1, " + client + ", 10.1.2.3, 192.0.2.10", client},
		{"all trusted returns leftmost", tp, lb, "10.9.9.9, 192.0.2.10,10.0.0.3", "10.9.9.9"},
		{"garbage right of client returns last good", tp, lb, client + ", garbage, 10.0.0.3", "10.0.0.3"},
		{"garbage rightmost returns peer", tp, lb, client + ", unknown", lb},
		{"garbage left of client is not reached", tp, lb, "garbage, " + client, client},
		{"host name is malformed", tp, lb, "proxy.example.com", lb},
		{"leading zero octet is malformed", tp, lb, "203.0.113.07", lb},
		{"octet over 255 is malformed", tp, lb, "203.0.113.256", lb},
		{"spaces and tabs", tp, lb, "  1.1.1.1 ,\t" + client + "\t ,  10.0.0.9  ", client},
		{"no spaces", tp, lb, "1.1.1.1," + client + ",10.0.0.9", client},
		{"empty elements skipped", tp, lb, ",," + client + ",,10.0.0.9,", client},
		{"space inside entry is malformed", tp, lb, "203.0. 113.7", lb},
		{"ipv6 client", tp, lb, "2001:db8:1::42", "2001:db8:1::42"},
		{"ipv6 trusted hop skipped", tp, lb, client + ", 2001:db8:ffff::1", client},
		{"ipv6 peer trusted", tp, "2001:db8:ffff::9", client, client},
		{"ipv6 peer untrusted", tp, "2001:db8:1::9", client, "2001:db8:1::9"},
		{"mapped peer is unmapped and trusted", tp, "::ffff:10.0.0.2", client, client},
		{"mapped untrusted peer is unmapped", tp, "::ffff:203.0.113.9", "", "203.0.113.9"},
		{"mapped hop is unmapped", tp, lb, "::ffff:203.0.113.7", client},
		{"mapped trusted hop skipped", tp, lb, client + ", ::ffff:10.0.0.3", client},
		{"zone dropped from hop", tp, lb, "fe80::1%eth0", "fe80::1"},
		{"zone dropped from peer", tp, "fe80::1%eth0", "", "fe80::1"},
		{"empty zone is malformed", tp, lb, "fe80::1%", lb},
		{"ipv4 with port", tp, lb, "203.0.113.7:4711", client},
		{"ipv4 with bad port", tp, lb, "203.0.113.7:99999", lb},
		{"ipv4 with empty port", tp, lb, "203.0.113.7:", lb},
		{"bracketed ipv6", tp, lb, "[2001:db8:1::42]", "2001:db8:1::42"},
		{"bracketed ipv6 with port", tp, lb, "[2001:db8:1::42]:443", "2001:db8:1::42"},
		{"bracketed ipv4 is malformed", tp, lb, "[203.0.113.7]", lb},
		{"unclosed bracket is malformed", tp, lb, "[2001:db8:1::42", lb},
		{"bracket junk after is malformed", tp, lb, "[2001:db8:1::42]x", lb},
		{"invalid peer is returned", tp, "", client, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.tp.ClientIP(addr(t, tt.peer), []byte(tt.xff))
			if want := addr(t, tt.want); got != want {
				t.Errorf("ClientIP(%s, %q) = %v, want %v", tt.peer, tt.xff, got, want)
			}
			// One header line must give the same answer as the multi-line variant.
			got = tt.tp.ClientIPFromValues(addr(t, tt.peer), [][]byte{[]byte(tt.xff)})
			if want := addr(t, tt.want); got != want {
				t.Errorf("ClientIPFromValues(%s, [%q]) = %v, want %v", tt.peer, tt.xff, got, want)
			}
		})
	}
}

func TestClientIPFromValues(t *testing.T) {
	tp := mustTrusted(t, testTrusted...)
	const lb = "10.0.0.2"
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"no lines", nil, lb},
		{"walk continues into earlier line", []string{"1.1.1.1, 203.0.113.7", "10.0.0.8"}, "203.0.113.7"},
		{"client in last line", []string{"10.0.0.7", "198.51.100.2, 10.0.0.8"}, "198.51.100.2"},
		{"empty lines skipped", []string{"203.0.113.7", "", " , "}, "203.0.113.7"},
		{"all trusted over lines returns leftmost", []string{"10.0.0.5, 10.0.0.6", "10.0.0.7"}, "10.0.0.5"},
		{"garbage in a later line stops the walk", []string{"203.0.113.7", "junk, 10.0.0.8"}, "10.0.0.8"},
		{"garbage in an earlier line stops the walk", []string{"203.0.113.7 junk", "10.0.0.8"}, "10.0.0.8"},
		{"earlier lines not read after client found", []string{"junk", "203.0.113.7"}, "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := make([][]byte, len(tt.values))
			for i, v := range tt.values {
				values[i] = []byte(v)
			}
			got := tp.ClientIPFromValues(addr(t, lb), values)
			if want := addr(t, tt.want); got != want {
				t.Errorf("ClientIPFromValues(%s, %q) = %v, want %v", lb, tt.values, got, want)
			}
			// Joining the lines with commas is the same list (RFC 9110 §5.3).
			got = tp.ClientIP(addr(t, lb), []byte(strings.Join(tt.values, ",")))
			if want := addr(t, tt.want); got != want {
				t.Errorf("ClientIP(%s, joined %q) = %v, want %v", lb, tt.values, got, want)
			}
		})
	}
}

func TestClientIPAllocs(t *testing.T) {
	tp := mustTrusted(t, testTrusted...)
	peer := netip.MustParseAddr("10.0.0.2")
	cases := map[string]string{
		"ipv4 hops":   "198.51.100.1, 203.0.113.7, 10.1.2.3, 192.0.2.10",
		"ipv6 hops":   "2001:db8:1::42, ::ffff:10.0.0.3, 2001:db8:ffff::1",
		"zone":        "fe80::1%eth0",
		"ports":       "[2001:db8:1::42]:443, 203.0.113.7:80",
		"garbage":     "203.0.113.7, not-an-address",
		"bad ipv6":    "1::2::3",
		"all trusted": "10.0.0.1, 10.0.0.2",
	}
	for name, xff := range cases {
		t.Run(name, func(t *testing.T) {
			b := []byte(xff)
			values := [][]byte{b, b}
			n := testing.AllocsPerRun(200, func() {
				_ = tp.ClientIP(peer, b)
				_ = tp.ClientIPFromValues(peer, values)
			})
			if n != 0 {
				t.Errorf("%v allocations per run, want 0", n)
			}
		})
	}
	t.Run("PeerAddr", func(t *testing.T) {
		var a net.Addr = &net.TCPAddr{IP: net.ParseIP("203.0.113.7"), Port: 1234}
		n := testing.AllocsPerRun(200, func() { _ = PeerAddr(a) })
		if n != 0 {
			t.Errorf("%v allocations per run, want 0", n)
		}
	})
}

// TestClientIPFasthttpHeader is how the server should feed ClientIPFromValues: fasthttp's PeekAll returns every
// X-Forwarded-For line in request order, and neither call allocates once the header object is warm. The request is
// a client that sent its own X-Forwarded-For line, followed by the line a proxy added instead of appending to it.
func TestClientIPFasthttpHeader(t *testing.T) {
	raw := "GET / HTTP/1.1\r\nHost: api.example.com\r\nX-Forwarded-For: 6.6.6.6\r\n" +
		"Accept: */*\r\nX-Forwarded-For: 203.0.113.7, 10.0.0.9\r\n\r\n"
	var h fasthttp.RequestHeader
	if err := h.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	tp := mustTrusted(t, testTrusted...)
	peer := netip.MustParseAddr("10.0.0.2")
	if got, want := tp.ClientIPFromValues(peer, h.PeekAll("X-Forwarded-For")), addr(t, "203.0.113.7"); got != want {
		t.Errorf("client IP from all header lines = %v, want %v", got, want)
	}
	// Peek returns the first line only: the client's own, so ClientIP would believe the spoofed address.
	if got, spoofed := tp.ClientIP(peer, h.Peek("X-Forwarded-For")), addr(t, "6.6.6.6"); got != spoofed {
		t.Errorf("client IP from the first line = %v; expected the spoofed %v this test warns about", got, spoofed)
	}
	n := testing.AllocsPerRun(200, func() {
		_ = tp.ClientIPFromValues(peer, h.PeekAll("X-Forwarded-For"))
	})
	if n != 0 {
		t.Errorf("PeekAll + ClientIPFromValues: %v allocations per run, want 0", n)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	tp := mustTrusted(t, "10.0.0.0/8", " 192.0.2.1 ", "10.1.2.3/16", "2001:db8::/32", "2001:db8::1",
		"::ffff:172.16.0.0/108", "::ffff:198.51.100.1")
	want := []string{"10.0.0.0/8", "192.0.2.1/32", "10.1.0.0/16", "2001:db8::/32", "2001:db8::1/128",
		"172.16.0.0/12", "198.51.100.1/32"}
	got := tp.Prefixes()
	if len(got) != len(want) {
		t.Fatalf("Prefixes() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("entry %d normalised to %v, want %s", i, got[i], want[i])
		}
	}
	if tp.Len() != len(want) {
		t.Errorf("Len() = %d, want %d", tp.Len(), len(want))
	}
	for _, s := range []string{"10.200.0.1", "192.0.2.1", "::ffff:10.0.0.1", "2001:db8:5::1", "172.31.255.255"} {
		if !tp.Contains(addr(t, s)) {
			t.Errorf("Contains(%s) = false, want true", s)
		}
	}
	for _, s := range []string{"11.0.0.1", "192.0.2.2", "2001:db9::1", "172.32.0.0", ""} {
		if tp.Contains(addr(t, s)) {
			t.Errorf("Contains(%s) = true, want false", s)
		}
	}

	bad := []struct {
		name  string
		list  []string
		index string // the position the error must name
		want  string // a fragment the error must contain
	}{
		{"empty entry", []string{"10.0.0.0/8", ""}, "entry 1", "empty entry"},
		{"blank entry", []string{"  "}, "entry 0", "empty entry"},
		{"host name", []string{"lb.example.com"}, "entry 0", `"lb.example.com"`},
		{"octet over 255", []string{"10.0.0.256"}, "entry 0", `"10.0.0.256"`},
		{"prefix too long", []string{"10.0.0.0/33"}, "entry 0", `"10.0.0.0/33"`},
		{"ipv6 prefix too long", []string{"2001:db8::/129"}, "entry 0", `"2001:db8::/129"`},
		{"missing bits", []string{"10.0.0.0/"}, "entry 0", `"10.0.0.0/"`},
		{"zone", []string{"10.0.0.1", "fe80::1%eth0"}, "entry 1", "zone"},
		{"zone in prefix", []string{"fe80::%eth0/64"}, "entry 0", "zone"},
		{"range syntax", []string{"10.0.0.1-10.0.0.9"}, "entry 0", `"10.0.0.1-10.0.0.9"`},
		{"with port", []string{"10.0.0.1:80"}, "entry 0", `"10.0.0.1:80"`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := ParseTrustedProxies(tt.list)
			if err == nil {
				t.Fatalf("ParseTrustedProxies(%q) = %v, want an error", tt.list, tp.Prefixes())
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.index) || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q should name %q and contain %q", msg, tt.index, tt.want)
			}
		})
	}
}

func TestContains(t *testing.T) {
	tests := []struct {
		list []string
		in   []string
		out  []string
	}{
		{[]string{"::/0"}, []string{"::", "2001:db8::1", "fe80::1%eth0"}, []string{"1.2.3.4", "::ffff:1.2.3.4", ""}},
		{[]string{"0.0.0.0/0"}, []string{"0.0.0.0", "255.255.255.255", "::ffff:1.2.3.4"}, []string{"::", "::1.2.3.4"}},
		{[]string{"2001:db8::/64"}, []string{"2001:db8::ffff:ffff:ffff:ffff"}, []string{"2001:db8:0:1::"}},
		{[]string{"2001:db8::/63"}, []string{"2001:db8:0:1::"}, []string{"2001:db8:0:2::"}},
		{[]string{"2001:db8::/65"}, []string{"2001:db8::7fff:0:0:0"}, []string{"2001:db8::8000:0:0:0"}},
		{[]string{"2001:db8::1"}, []string{"2001:db8::1"}, []string{"2001:db8::", "2001:db8::2"}},
		{[]string{"192.0.2.128/25"}, []string{"192.0.2.128", "192.0.2.255"}, []string{"192.0.2.127", "193.0.2.128"}},
		{[]string{"10.0.0.1"}, []string{"10.0.0.1", "::ffff:10.0.0.1"}, []string{"10.0.0.0", "10.0.0.2", "::10.0.0.1"}},
		{nil, nil, []string{"10.0.0.1", "::"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.list, ","), func(t *testing.T) {
			tp := mustTrusted(t, tt.list...)
			for _, s := range tt.in {
				if !tp.Contains(addr(t, s)) || !prefixesContain(tp, addr(t, s)) {
					t.Errorf("Contains(%s) = false, want true", s)
				}
			}
			for _, s := range tt.out {
				if tp.Contains(addr(t, s)) || prefixesContain(tp, addr(t, s)) {
					t.Errorf("Contains(%s) = true, want false", s)
				}
			}
		})
	}
}

func TestPeerAddr(t *testing.T) {
	tests := []struct {
		name string
		in   net.Addr
		want string
	}{
		{"tcp4", &net.TCPAddr{IP: net.IPv4(203, 0, 113, 7), Port: 80}, "203.0.113.7"},
		{"tcp4 four bytes", &net.TCPAddr{IP: net.IP{203, 0, 113, 7}}, "203.0.113.7"},
		{"tcp6", &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 80}, "2001:db8::1"},
		{"tcp6 zone dropped", &net.TCPAddr{IP: net.ParseIP("fe80::1"), Zone: "eth0"}, "fe80::1"},
		{"udp", &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1)}, "198.51.100.1"},
		{"ip", &net.IPAddr{IP: net.ParseIP("2001:db8::2")}, "2001:db8::2"},
		{"other with port", stringAddr("[2001:db8::3]:443"), "2001:db8::3"},
		{"other without port", stringAddr("::ffff:192.0.2.4"), "192.0.2.4"},
		{"unix", &net.UnixAddr{Name: "/run/portico.sock", Net: "unix"}, ""},
		{"nil", nil, ""},
		{"typed nil", (*net.TCPAddr)(nil), ""},
		{"nil IP", &net.TCPAddr{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := PeerAddr(tt.in), addr(t, tt.want); got != want {
				t.Errorf("PeerAddr(%v) = %v, want %v", tt.in, got, want)
			}
		})
	}
}

type stringAddr string

func (s stringAddr) Network() string { return "test" }
func (s stringAddr) String() string  { return string(s) }

// TestParseAddrMatchesNetip checks the byte parser against netip.ParseAddr on hand-picked edge cases; FuzzParseAddr
// explores the rest.
func TestParseAddrMatchesNetip(t *testing.T) {
	for _, s := range parseAddrSeeds {
		t.Run(s, func(t *testing.T) { checkParseAddr(t, s) })
	}
}

var parseAddrSeeds = []string{
	"", ".", ":", "::", ":::", "%", "::%", "::%z", "1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4",
	"1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4%z", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
	"1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:1.2.3.4",
	"1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4", "::ffff:1.2.3.4", "1::1.2.3.4", "1:2:3:4:5:6::1.2.3.4", "::1.2.3", "::01.2.3.4",
	"12345::", "0000:0000::", "fFfF::", "1:::2", "1::2::3", "1:2:", ":1:2", "fe80::1%eth0", "fe80::1%", "fe80::1%%",
	"::ffff:1.2.3.4%z", "g::", "1:2:3:4:5:6:7:8:9", "::ffff:1a.2.3.4", "1.2.3.4:80", "[::1]",
}

func checkParseAddr(t *testing.T, s string) {
	t.Helper()
	want, err := netip.ParseAddr(s)
	got, ok := parseAddr([]byte(s))
	if ok != (err == nil) {
		t.Fatalf("parseAddr(%q) ok=%v, netip.ParseAddr error: %v", s, ok, err)
	}
	if ok && got != want.WithZone("") {
		t.Fatalf("parseAddr(%q) = %v, netip.ParseAddr = %v", s, got, want)
	}
}

// FuzzParseAddr is a differential test: the allocation-free parser must agree with netip.ParseAddr on every input.
func FuzzParseAddr(f *testing.F) {
	for _, s := range parseAddrSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkParseAddr(t, s) })
}

// FuzzClientIP checks that ClientIP never panics and that its answer is the peer or an address written in the header.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.2", "198.51.100.1, 203.0.113.7, 10.1.2.3")
	f.Add("10.0.0.2", " , ,garbage, [2001:db8::1]:80")
	f.Add("2001:db8:ffff::1", "::ffff:10.0.0.1, fe80::1%eth0")
	f.Add("203.0.113.9", "10.0.0.1")
	f.Add("10.0.0.2", "1.2.3.4:65535,[::1]")
	tp := mustTrusted(f, append([]string{"::/0", "172.16.0.0/12", "2001:db8:ffff::/127", "0.0.0.0/31",
		"198.51.100.17"}, testTrusted...)...)
	f.Fuzz(func(t *testing.T, peerText, xff string) {
		peer, _ := netip.ParseAddr(peerText) // an unparsable peer is the zero Addr, which is allowed
		got := tp.ClientIP(peer, []byte(xff))
		if got, want := tp.Contains(peer), prefixesContain(tp, peer); got != want {
			t.Fatalf("Contains(%v) = %v, netip.Prefix.Contains says %v", peer, got, want)
		}
		if again := tp.ClientIPFromValues(peer, [][]byte{[]byte(xff)}); again != got {
			t.Fatalf("ClientIP = %v but ClientIPFromValues = %v", got, again)
		}
		if got == normalizeAddr(peer) {
			return
		}
		if !tp.Contains(peer) {
			t.Fatalf("untrusted peer %v gave %v", peer, got)
		}
		for _, entry := range bytes.Split([]byte(xff), []byte(",")) {
			if e := trimOWS(entry); len(e) > 0 {
				if a, ok := parseHop(e); ok && a == got {
					return
				}
			}
		}
		t.Fatalf("ClientIP(%v, %q) = %v, which is neither the peer nor an entry of the header", peer, xff, got)
	})
}

// prefixesContain is Contains done with netip.Prefix.Contains, the reference the fast version is checked against.
func prefixesContain(tp *TrustedProxies, a netip.Addr) bool {
	a = normalizeAddr(a)
	for _, p := range tp.Prefixes() {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func BenchmarkClientIP(b *testing.B) {
	tp := mustTrusted(b, testTrusted...)
	benches := []struct {
		name string
		peer string
		xff  string
	}{
		{"untrusted peer", "203.0.113.9", "198.51.100.1, 203.0.113.7"},
		{"one hop", "10.0.0.2", "203.0.113.7"},
		{"three hops", "10.0.0.2", "198.51.100.1, 203.0.113.7, 10.1.2.3, 192.0.2.10"},
		{"ipv6 hops", "10.0.0.2", "2001:db8:1::42, 2001:db8:ffff::1"},
		{"garbage", "10.0.0.2", "203.0.113.7, not-an-address"},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			peer := netip.MustParseAddr(bb.peer)
			xff := []byte(bb.xff)
			b.ReportAllocs()
			for b.Loop() {
				_ = tp.ClientIP(peer, xff)
			}
		})
	}
	b.Run("two lines", func(b *testing.B) {
		peer := netip.MustParseAddr("10.0.0.2")
		values := [][]byte{[]byte("198.51.100.1, 203.0.113.7"), []byte("10.1.2.3")}
		b.ReportAllocs()
		for b.Loop() {
			_ = tp.ClientIPFromValues(peer, values)
		}
	})
}

func BenchmarkPeerAddr(b *testing.B) {
	var a net.Addr = &net.TCPAddr{IP: net.ParseIP("203.0.113.7"), Port: 1234}
	b.ReportAllocs()
	for b.Loop() {
		_ = PeerAddr(a)
	}
}

// addr parses s, which may carry a zone; "" is the zero Addr.
func addr(t testing.TB, s string) netip.Addr {
	t.Helper()
	if s == "" {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatalf("bad test address %q: %v", s, err)
	}
	return a
}

func BenchmarkContains(b *testing.B) {
	tp := mustTrusted(b, testTrusted...)
	for _, s := range []string{"203.0.113.9", "10.0.0.2", "2001:db8:1::1"} {
		b.Run(s, func(b *testing.B) {
			a := netip.MustParseAddr(s)
			b.ReportAllocs()
			for b.Loop() {
				_ = tp.Contains(a)
			}
		})
	}
}
