package edge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// TrustedProxies is an immutable set of address ranges whose X-Forwarded-For entries the gateway believes: the L7
// proxies (or load balancers) that sit in front of it and append the address they received a request from.
//
// It is a different list from ListenConfig.ProxyProtocolFrom, which names who may send a PROXY protocol header; an L4
// load balancer that sends PROXY headers is usually not also an X-Forwarded-For hop.
//
// Every address the methods take or return is normalised: an IPv4-mapped IPv6 address is unmapped (::ffff:10.0.0.1
// is 10.0.0.1) and an IPv6 zone is dropped, because a zone has no meaning outside this host and a zoned address
// never matches a netip.Prefix. A nil *TrustedProxies is the empty set: it trusts no one.
type TrustedProxies struct {
	prefixes []netip.Prefix // masked, unmapped; IPv4 entries are IPv4 prefixes
	ranges   []addrRange    // the same entries, in the form Contains scans
}

// addrRange is a prefix as two 64-bit halves of the 16-byte address (IPv4 in its mapped form) and their masks, so
// that a membership test is two ANDs and two compares. is4 keeps the families apart as netip does: an IPv6 prefix
// such as ::/0 does not contain IPv4 addresses.
type addrRange struct {
	hi, lo, maskHi, maskLo uint64
	is4                    bool
}

func newAddrRange(p netip.Prefix) addrRange {
	a := p.Addr()
	bits := p.Bits()
	if a.Is4() {
		bits += 96
	}
	maskHi, maskLo := ^uint64(0), ^uint64(0)
	if bits < 64 {
		maskHi, maskLo = ^(^uint64(0) >> bits), 0
	} else if bits < 128 {
		maskLo = ^(^uint64(0) >> (bits - 64))
	}
	hi, lo := addrHalves(a)
	return addrRange{hi: hi & maskHi, lo: lo & maskLo, maskHi: maskHi, maskLo: maskLo, is4: a.Is4()}
}

func addrHalves(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

// ParseTrustedProxies parses CIDR prefixes ("10.0.0.0/8", "2001:db8::/32") and bare addresses ("10.0.0.5",
// "2001:db8::1"; a bare address is a /32 or /128). Surrounding spaces are ignored. A prefix with host bits set
// ("10.0.0.5/8") means its masked network (10.0.0.0/8), as with net.ParseCIDR. An IPv4-mapped IPv6 entry is
// converted to its IPv4 form ("::ffff:10.0.0.0/104" is 10.0.0.0/8). Zones are not accepted. The error names the
// first bad entry by position and text.
//
// An empty list gives an empty set, which makes ClientIP return the peer.
func ParseTrustedProxies(list []string) (*TrustedProxies, error) {
	t := &TrustedProxies{prefixes: make([]netip.Prefix, 0, len(list)), ranges: make([]addrRange, 0, len(list))}
	for i, entry := range list {
		p, err := parseTrustedEntry(strings.TrimSpace(entry))
		if err != nil {
			return nil, fmt.Errorf("edge: trusted proxy entry %d (%q): %w", i, entry, err)
		}
		t.prefixes = append(t.prefixes, p)
		t.ranges = append(t.ranges, newAddrRange(p))
	}
	return t, nil
}

var (
	errEmptyEntry = errors.New("empty entry")
	errZone       = errors.New("an IPv6 zone is not allowed")
)

func parseTrustedEntry(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, errEmptyEntry
	}
	if strings.IndexByte(s, '%') >= 0 {
		return netip.Prefix{}, errZone
	}
	if strings.IndexByte(s, '/') < 0 {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("not an IP address or CIDR prefix: %w", err)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not an IP address or CIDR prefix: %w", err)
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// Len reports how many entries the set holds.
func (t *TrustedProxies) Len() int {
	if t == nil {
		return 0
	}
	return len(t.prefixes)
}

// Prefixes returns a copy of the normalised entries, in configuration order, for logs and diagnostics.
func (t *TrustedProxies) Prefixes() []netip.Prefix {
	if t == nil {
		return nil
	}
	return append([]netip.Prefix(nil), t.prefixes...)
}

// Contains reports whether a is inside one of the trusted ranges. The lookup is a linear scan: trusted lists are a
// handful of entries, where a scan beats any tree.
func (t *TrustedProxies) Contains(a netip.Addr) bool {
	if t == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap()
	is4 := a.Is4()
	hi, lo := addrHalves(a) // As16 ignores the zone
	for i := range t.ranges {
		r := &t.ranges[i]
		if hi&r.maskHi == r.hi && lo&r.maskLo == r.lo && r.is4 == is4 {
			return true
		}
	}
	return false
}

// ClientIP applies the client-address rule of DESIGN.md §3 step 1 to one X-Forwarded-For value:
//
//   - If peer (the socket peer, or the PROXY protocol source) is not trusted, the answer is peer: the header came
//     from whoever connected and proves nothing.
//   - Otherwise the comma-separated entries are walked from the right, the end the nearest proxy appended to. Trusted
//     entries are skipped; the first untrusted one is the client (the rightmost untrusted hop). Entries to its left
//     were written by the client or by proxies no one vouches for, so they are never looked at.
//   - If every entry is trusted, the leftmost one is the answer.
//   - A malformed entry stops the walk: the answer is the last good address seen (a trusted hop), or peer if there
//     was none. Nothing left of garbage is believed.
//
// Entries may carry optional whitespace and empty list elements are skipped (RFC 9110 §5.6.1). An entry is an IPv4
// or IPv6 address, optionally with a zone (dropped), or one of the port-carrying forms some proxies write:
// "192.0.2.1:4711", "[2001:db8::1]" and "[2001:db8::1]:4711". Anything else ("unknown", an obfuscated RFC 7239
// node name, a host name) is malformed.
//
// The returned address is normalised (unmapped, no zone). If peer is the zero Addr (for instance a Unix-socket
// peer) it is untrusted and returned as is. ClientIP does not allocate.
func (t *TrustedProxies) ClientIP(peer netip.Addr, xff []byte) netip.Addr {
	peer = normalizeAddr(peer)
	if !t.Contains(peer) {
		return peer
	}
	last, _ := t.walk(peer, xff)
	return last
}

// ClientIPFromValues is ClientIP for a request that carries several X-Forwarded-For header lines. values holds the
// lines' values in the order they appeared in the request; they are treated as one list joined by commas (RFC 9110
// §5.3), so the walk starts at the right end of the last line. With fasthttp, RequestHeader.PeekAll gives them in
// that order (and fasthttp refuses X-Forwarded-For in a chunked trailer, so a client cannot append a value after the
// body). values is not retained. ClientIPFromValues does not allocate.
func (t *TrustedProxies) ClientIPFromValues(peer netip.Addr, values [][]byte) netip.Addr {
	peer = normalizeAddr(peer)
	if !t.Contains(peer) {
		return peer
	}
	last := peer
	for i := len(values) - 1; i >= 0; i-- {
		var done bool
		if last, done = t.walk(last, values[i]); done {
			break
		}
	}
	return last
}

// walk scans one header value from the right. last is the address to fall back on (the previous trusted hop). It
// returns the new fallback and whether the walk is over (an untrusted or malformed entry was found).
func (t *TrustedProxies) walk(last netip.Addr, v []byte) (netip.Addr, bool) {
	end := len(v)
	for {
		start := bytes.LastIndexByte(v[:end], ',') + 1
		if entry := trimOWS(v[start:end]); len(entry) > 0 {
			a, ok := parseHop(entry)
			if !ok {
				return last, true
			}
			if !t.Contains(a) {
				return a, true
			}
			last = a
		}
		if start == 0 {
			return last, false
		}
		end = start - 1
	}
}

// PeerAddr returns the IP address of a connection endpoint, normalised like TrustedProxies does (unmapped, no zone).
// For *net.TCPAddr, *net.UDPAddr and *net.IPAddr — what a TCP listener, a proxyproto.Conn and fasthttp's
// RequestCtx.RemoteAddr return — it does not allocate. Any other net.Addr is parsed from its String form ("ip" or
// "ip:port"). It returns the zero Addr when there is no IP (nil, a Unix socket).
func PeerAddr(c net.Addr) netip.Addr {
	var ip net.IP
	switch a := c.(type) {
	case nil:
		return netip.Addr{}
	case *net.TCPAddr:
		if a == nil {
			return netip.Addr{}
		}
		ip = a.IP
	case *net.UDPAddr:
		if a == nil {
			return netip.Addr{}
		}
		ip = a.IP
	case *net.IPAddr:
		if a == nil {
			return netip.Addr{}
		}
		ip = a.IP
	default:
		s := c.String()
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return normalizeAddr(ap.Addr())
		}
		if a, err := netip.ParseAddr(s); err == nil {
			return normalizeAddr(a)
		}
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(ip) // zero Addr for a nil or odd-length IP
	return a.Unmap()
}

// normalizeAddr unmaps an IPv4-mapped IPv6 address and drops an IPv6 zone. Neither step allocates.
func normalizeAddr(a netip.Addr) netip.Addr {
	return a.Unmap().WithZone("")
}

// trimOWS removes the optional whitespace (spaces and tabs) HTTP allows around list elements.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
