package edge

import "net/netip"

// This file parses IP addresses straight from header bytes. netip.ParseAddr takes a string, and both converting the
// bytes and the error it returns for a malformed entry would allocate on every request; a client controls the header,
// so the malformed path is as hot as the good one. parseAddr accepts exactly what netip.ParseAddr accepts (the fuzz
// test FuzzParseAddr checks this against netip) and returns the same address without its zone.

// parseHop parses one trimmed, non-empty X-Forwarded-For entry: an address as parseAddr takes it, "ipv4:port",
// "[ipv6]" or "[ipv6]:port". The port, if any, must be decimal and at most 65535; it is discarded.
func parseHop(b []byte) (netip.Addr, bool) {
	if b[0] == '[' {
		end := -1
		for i := 1; i < len(b); i++ {
			if b[i] == ']' {
				end = i
				break
			}
		}
		if end < 0 {
			return netip.Addr{}, false
		}
		if rest := b[end+1:]; len(rest) > 0 && (rest[0] != ':' || !validPort(rest[1:])) {
			return netip.Addr{}, false
		}
		inner := b[1:end]
		if !hasByte(inner, ':') { // brackets hold IPv6 only
			return netip.Addr{}, false
		}
		a, ok := parseAddr(inner)
		return a.Unmap(), ok
	}
	// "a.b.c.d:port": a dot before the only colon. An IPv6 address with an embedded IPv4 tail ("::ffff:1.2.3.4") has
	// its colons before the dots, so it never matches.
	if colon := lastByte(b, ':'); colon > 0 && hasByte(b[:colon], '.') && !hasByte(b[:colon], ':') {
		if !validPort(b[colon+1:]) {
			return netip.Addr{}, false
		}
		return parseIPv4(b[:colon])
	}
	a, ok := parseAddr(b)
	return a.Unmap(), ok
}

// parseAddr is netip.ParseAddr for bytes, without allocating and without the zone.
func parseAddr(b []byte) (netip.Addr, bool) {
	for _, c := range b {
		switch c {
		case '.':
			return parseIPv4(b)
		case ':':
			return parseIPv6(b)
		case '%':
			return netip.Addr{}, false
		}
	}
	return netip.Addr{}, false
}

// parseIPv4 parses dotted decimal with exactly four fields, each 0-255 without leading zeros.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var f [4]byte
	if !parseIPv4Fields(b, f[:]) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(f), true
}

func parseIPv4Fields(b []byte, out []byte) bool {
	field, val, digits := 0, 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 { // leading zero
				return false
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return false
			}
		case c == '.':
			if digits == 0 || field == 3 {
				return false
			}
			out[field] = byte(val)
			field, val, digits = field+1, 0, 0
		default:
			return false
		}
	}
	if field != 3 || digits == 0 {
		return false
	}
	out[3] = byte(val)
	return true
}

// parseIPv6 parses RFC 4291 text: up to eight groups of one to four hex digits, at most one "::" standing for at
// least one zero group, optionally a dotted IPv4 address in place of the last two groups, optionally "%zone" (a
// non-empty zone is required after '%', and is then ignored).
func parseIPv6(b []byte) (netip.Addr, bool) {
	if z := firstByte(b, '%'); z >= 0 {
		if z == len(b)-1 {
			return netip.Addr{}, false
		}
		b = b[:z]
	}
	var ip [16]byte
	ellipsis := -1 // byte offset in ip where "::" stands
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		ellipsis = 0
		b = b[2:]
		if len(b) == 0 {
			return netip.IPv6Unspecified(), true
		}
	}
	i := 0
	for i < 16 {
		n, val := 0, uint32(0)
		for n < len(b) {
			d, ok := hexDigit(b[n])
			if !ok {
				break
			}
			if n == 4 {
				return netip.Addr{}, false
			}
			val = val<<4 | uint32(d)
			n++
		}
		if n == 0 {
			return netip.Addr{}, false
		}
		if n < len(b) && b[n] == '.' {
			// The group just read is the first field of an embedded IPv4 address, which must fill the last four
			// bytes: either exactly there, or anywhere before them when "::" can absorb the gap.
			if (ellipsis < 0 && i != 12) || i > 12 {
				return netip.Addr{}, false
			}
			if !parseIPv4Fields(b, ip[i:i+4]) {
				return netip.Addr{}, false
			}
			b = nil
			i += 4
			break
		}
		ip[i], ip[i+1] = byte(val>>8), byte(val)
		i += 2
		b = b[n:]
		if len(b) == 0 {
			break
		}
		if b[0] != ':' || len(b) == 1 {
			return netip.Addr{}, false
		}
		b = b[1:]
		if b[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			ellipsis = i
			b = b[1:]
			if len(b) == 0 {
				break
			}
		}
	}
	if len(b) != 0 {
		return netip.Addr{}, false
	}
	switch {
	case i < 16:
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		gap := 16 - i
		copy(ip[ellipsis+gap:], ip[ellipsis:i])
		clear(ip[ellipsis : ellipsis+gap])
	case ellipsis >= 0:
		return netip.Addr{}, false // "::" must stand for at least one group
	}
	return netip.AddrFrom16(ip), true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// validPort reports whether b is a decimal port number, 0-65535, of at most five digits.
func validPort(b []byte) bool {
	if len(b) == 0 || len(b) > 5 {
		return false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}

func firstByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func lastByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func hasByte(b []byte, c byte) bool { return firstByte(b, c) >= 0 }
