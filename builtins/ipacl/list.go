package ipacl

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// MaxAddresses is the most entries an address list may hold (the seed's limit).
const MaxAddresses = 100

// maxEntryLength bounds one entry's text: the longest IPv6 CIDR is 43 bytes.
const maxEntryLength = 64

// List is a compiled set of IP addresses and CIDR blocks. Each family is a sorted slice of disjoint, non-adjacent
// inclusive ranges, so a lookup is a binary search over at most MaxAddresses ranges: no allocation, no pointers
// chased. A List is immutable and safe for concurrent use.
type List struct {
	v4 []range4
	v6 []range6
}

type range4 struct{ lo, hi uint32 }

// u128 is an IPv6 address as a big-endian 128-bit number.
type u128 struct{ hi, lo uint64 }

type range6 struct{ lo, hi u128 }

// ParseList compiles entries: single IPv4 addresses ("10.0.0.1"), IPv4 CIDR blocks ("10.0.0.0/8"; host bits are
// ignored, so the seed's "10.0.0.1/24" means 10.0.0.0/24) and, as an extension, the same for IPv6. IPv4-mapped
// IPv6 entries ("::ffff:10.0.0.1") mean their IPv4 address, as client addresses are unmapped before matching.
// Errors name the entry's index: "addresses[3]: …".
func ParseList(entries []string) (*List, error) {
	if len(entries) > MaxAddresses {
		return nil, fmt.Errorf("addresses: at most %d entries, got %d", MaxAddresses, len(entries))
	}
	l := &List{}
	for i, e := range entries {
		p, err := parseEntry(e)
		if err != nil {
			return nil, fmt.Errorf("addresses[%d]: %w", i, err)
		}
		l.add(p)
	}
	l.v4, l.v6 = merge4(l.v4), merge6(l.v6)
	return l, nil
}

var errEntry = errors.New("not an IP address or CIDR block (e.g. 10.0.0.1 or 10.0.0.0/24)")

// parseEntry reads one entry as a masked prefix; a single address is a full-length prefix.
func parseEntry(s string) (netip.Prefix, error) {
	switch {
	case s == "":
		return netip.Prefix{}, errors.New("empty entry")
	case len(s) > maxEntryLength:
		return netip.Prefix{}, fmt.Errorf("%.20q…: %w", s, errEntry)
	}
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q: %w", s, errEntry)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q: %w", s, errEntry)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

var (
	maxU128 = u128{^uint64(0), ^uint64(0)}
	// mapped is ::ffff:0.0.0.0, the first IPv4-mapped IPv6 address.
	mapped = netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff})
)

func (l *List) add(p netip.Prefix) {
	a, bits := p.Addr(), p.Bits()
	if a.Is4In6() && bits >= 96 {
		a, bits = a.Unmap(), bits-96
	}
	if a.Is4() {
		lo := binary.BigEndian.Uint32(a.AsSlice())
		l.v4 = append(l.v4, range4{lo, lo | hostMask32(bits)})
		return
	}
	b := a.As16()
	lo := u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
	l.v6 = append(l.v6, range6{lo, lo.or(hostMask128(bits))})
	if bits <= 96 && p.Contains(mapped) {
		// A block that covers every IPv4-mapped address covers every IPv4 client (clients are unmapped).
		l.v4 = append(l.v4, range4{0, ^uint32(0)})
	}
}

func hostMask32(bits int) uint32 {
	if bits <= 0 {
		return ^uint32(0)
	}
	return ^uint32(0) >> bits
}

func hostMask128(bits int) u128 {
	switch {
	case bits <= 0:
		return maxU128
	case bits < 64:
		return u128{^uint64(0) >> bits, ^uint64(0)}
	case bits < 128:
		return u128{0, ^uint64(0) >> (bits - 64)}
	}
	return u128{}
}

func (a u128) or(b u128) u128 { return u128{a.hi | b.hi, a.lo | b.lo} }

func (a u128) add1() u128 {
	if a.lo == ^uint64(0) {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

func (a u128) lessEq(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo <= b.lo) }

func (a u128) cmp(b u128) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

// merge4 sorts ranges by their start and joins overlapping or adjacent ones. Deploy-time only.
func merge4(rs []range4) []range4 {
	slices.SortFunc(rs, func(a, b range4) int { return cmp.Compare(a.lo, b.lo) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && (out[n-1].hi == ^uint32(0) || r.lo <= out[n-1].hi+1) {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

// merge6 is merge4 for IPv6.
func merge6(rs []range6) []range6 {
	slices.SortFunc(rs, func(a, b range6) int { return a.lo.cmp(b.lo) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && (out[n-1].hi == maxU128 || r.lo.cmp(out[n-1].hi.add1()) <= 0) {
			if r.hi.cmp(out[n-1].hi) > 0 {
				out[n-1].hi = r.hi
			}
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

// Contains reports whether ip is in the list. IPv4-mapped IPv6 addresses match as IPv4; zones are ignored. It does
// not allocate.
func (l *List) Contains(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.Is4() {
		b := ip.As4()
		return contains4(l.v4, binary.BigEndian.Uint32(b[:]))
	}
	if !ip.Is6() {
		return false
	}
	b := ip.As16()
	return contains6(l.v6, u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])})
}

// contains4 finds the last range starting at or below x and checks its end.
func contains4(rs []range4, x uint32) bool {
	i, j := 0, len(rs)
	for i < j {
		h := int(uint(i+j) >> 1)
		if rs[h].lo <= x {
			i = h + 1
		} else {
			j = h
		}
	}
	return i > 0 && x <= rs[i-1].hi
}

func contains6(rs []range6, x u128) bool {
	i, j := 0, len(rs)
	for i < j {
		h := int(uint(i+j) >> 1)
		if rs[h].lo.lessEq(x) {
			i = h + 1
		} else {
			j = h
		}
	}
	return i > 0 && x.lessEq(rs[i-1].hi)
}

// Len is the number of disjoint ranges the list compiled to.
func (l *List) Len() int { return len(l.v4) + len(l.v6) }
