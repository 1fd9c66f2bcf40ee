package hmac

import (
	"bytes"
	"errors"
	"strings"
	"time"
)

// Bounds on what a client sends. Anything longer is malformed: these are far above what a valid request needs
// (a SHA-256 signature is 44 base64 characters) and keep the parser's work small and fixed.
const (
	maxAuthorizationLength = 4096
	maxSignatureLength     = 88 // base64 of 64 bytes, more than any supported digest
	maxHeaderNames         = 32
	maxDateLength          = 64
)

// authorization is a parsed Authorization header value. Its fields alias the header value (no copy).
type authorization struct {
	algorithm []byte
	headers   []byte // the names as the client listed them, comma-separated
	signature []byte // base64 text
}

var (
	errScheme        = errors.New(`the Authorization scheme is not "hmac"`)
	errSyntax        = errors.New(`the Authorization value is not hmac algorithm="…", headers="…", signature="…"`)
	errTooLong       = errors.New("the Authorization value is too long")
	errDuplicate     = errors.New("an Authorization parameter is given twice")
	errNoAlgorithm   = errors.New("the Authorization value has no algorithm")
	errNoSignature   = errors.New("the Authorization value has no signature")
	errSignatureLong = errors.New("the signature is too long")
	errHeaderList    = errors.New(`headers="…" is not a comma-separated list of header names`)
)

// parseAuthorization reads `hmac algorithm="HmacSHA256", headers="host,x-nhn-client-id", signature="…"`.
//
// The scheme is case-insensitive; parameters are separated by commas with optional whitespace around them (the
// seed's own example has a space before a comma); values are quoted strings without escapes, or bare (up to the
// next comma or whitespace); unknown parameters are ignored, known ones may appear once. headers may be absent or
// empty (nothing but the request line and date is signed); algorithm and signature are required.
func parseAuthorization(v []byte) (authorization, error) {
	var a authorization
	if len(v) > maxAuthorizationLength {
		return a, errTooLong
	}
	v = trimOWS(v)
	const scheme = "hmac"
	if len(v) < len(scheme) || !bytes.EqualFold(v[:len(scheme)], []byte(scheme)) {
		return a, errScheme
	}
	v = v[len(scheme):]
	if len(v) == 0 || (v[0] != ' ' && v[0] != '\t') {
		return a, errScheme
	}
	seen := [3]bool{}
	for first := true; ; first = false {
		v = trimLeftOWS(v)
		if len(v) == 0 {
			break
		}
		if !first {
			if v[0] != ',' {
				return a, errSyntax
			}
			v = trimLeftOWS(v[1:])
			if len(v) == 0 {
				break // a trailing comma is harmless
			}
		}
		var name, value []byte
		var err error
		if name, value, v, err = nextParam(v); err != nil {
			return a, err
		}
		slot := -1
		switch {
		case bytes.EqualFold(name, []byte("algorithm")):
			slot, a.algorithm = 0, value
		case bytes.EqualFold(name, []byte("headers")):
			slot, a.headers = 1, value
		case bytes.EqualFold(name, []byte("signature")):
			slot, a.signature = 2, value
		}
		if slot >= 0 {
			if seen[slot] {
				return a, errDuplicate
			}
			seen[slot] = true
		}
	}
	switch {
	case len(a.algorithm) == 0:
		return a, errNoAlgorithm
	case len(a.signature) == 0:
		return a, errNoSignature
	case len(a.signature) > maxSignatureLength:
		return a, errSignatureLong
	}
	if err := checkHeaderList(a.headers); err != nil {
		return a, err
	}
	return a, nil
}

// nextParam reads `name OWS "=" OWS ( quoted-string | bare value )` from the start of v.
func nextParam(v []byte) (name, value, rest []byte, err error) {
	i := 0
	for i < len(v) && isTokenChar(v[i]) {
		i++
	}
	if i == 0 {
		return nil, nil, nil, errSyntax
	}
	name, v = v[:i], trimLeftOWS(v[i:])
	if len(v) == 0 || v[0] != '=' {
		return nil, nil, nil, errSyntax
	}
	v = trimLeftOWS(v[1:])
	if len(v) > 0 && v[0] == '"' {
		end := bytes.IndexByte(v[1:], '"')
		if end < 0 {
			return nil, nil, nil, errSyntax
		}
		value = v[1 : 1+end]
		for _, c := range value {
			if c == '\\' || c < ' ' || c == 0x7f {
				return nil, nil, nil, errSyntax
			}
		}
		return name, value, v[2+end:], nil
	}
	// A bare value runs to the next comma or whitespace: a token, or base64 text with "/", "+" and "=".
	i = 0
	for i < len(v) && v[i] > ' ' && v[i] < 0x7f && v[i] != ',' && v[i] != '"' && v[i] != '\\' {
		i++
	}
	if i == 0 {
		return nil, nil, nil, errSyntax
	}
	return name, v[:i], v[i:], nil
}

// checkHeaderList checks headers="…": names separated by commas (optional whitespace around each), each an
// HTTP token, at most maxHeaderNames, none twice (names compare case-insensitively).
func checkHeaderList(list []byte) error {
	it := newNames(list)
	for n := 0; ; n++ {
		name, ok := it.next()
		if !ok {
			return nil
		}
		if n == maxHeaderNames || len(name) == 0 {
			return errHeaderList
		}
		for i := range name {
			if !isTokenChar(name[i]) {
				return errHeaderList
			}
		}
		prev := newNames(list)
		for range n {
			if other, _ := prev.next(); bytes.EqualFold(other, name) {
				return errHeaderList
			}
		}
	}
}

// names iterates over a header list: comma-separated names, whitespace around each trimmed. An empty (or blank)
// list has no names; an empty element ("a,,b", "a,") is returned as an empty name.
type names struct {
	rest []byte
	done bool
}

func newNames(list []byte) names { return names{rest: list, done: len(trimOWS(list)) == 0} }

func (it *names) next() ([]byte, bool) {
	if it.done {
		return nil, false
	}
	i := bytes.IndexByte(it.rest, ',')
	if i < 0 {
		it.done = true
		return trimOWS(it.rest), true
	}
	name := trimOWS(it.rest[:i])
	it.rest = it.rest[i+1:]
	return name, true
}

// tokenChars marks the bytes of an HTTP token (RFC 9110 tchar).
var tokenChars = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c)
	}
	return t
}()

func isTokenChar(c byte) bool { return tokenChars[c] }

func trimLeftOWS(v []byte) []byte {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	return v
}

func trimOWS(v []byte) []byte {
	v = trimLeftOWS(v)
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	return v
}

// parseDate reads x-nhn-date, ISO 8601 as the seed gives it: yyyy-MM-dd'T'HH:mm:ss followed by "Z" or an offset
// ±hh:mm (±hhmm is accepted too), with optional fractional seconds. It returns Unix nanoseconds. It does not
// allocate (time.Parse would, for the offset's zone).
func parseDate(b []byte) (int64, bool) {
	if len(b) < len("2006-01-02T15:04:05Z") || len(b) > maxDateLength {
		return 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't') ||
		b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	rest := b[19:]
	nanos := 0
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			if i <= 9 {
				nanos = nanos*10 + int(rest[i]-'0')
			}
			i++
		}
		if i == 1 || i > 10 {
			return 0, false
		}
		for j := i; j <= 9; j++ {
			nanos *= 10
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case (len(rest) == 6 && rest[3] == ':') || len(rest) == 5:
		if rest[0] != '+' && rest[0] != '-' {
			return 0, false
		}
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[len(rest)-2:])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	return t.UnixNano() - int64(offset)*int64(time.Second), true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
