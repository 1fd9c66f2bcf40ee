//go:build !wasip1

package portico

import (
	"reflect"
	"testing"
	"time"
)

func TestEncodeHeaders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []HeaderField
		want   string
		err    error
	}{
		{"none", nil, "", nil},
		{"two", []HeaderField{{"accept", "application/json"}, {"X-Id", ""}}, "accept: application/json\nX-Id: \n", nil},
		{"empty name", []HeaderField{{"", "v"}}, "", ErrInvalidHeader},
		{"colon in name", []HeaderField{{"a:b", "v"}}, "", ErrInvalidHeader},
		{"space in name", []HeaderField{{"a b", "v"}}, "", ErrInvalidHeader},
		{"separator in name", []HeaderField{{"a/b", "v"}}, "", ErrInvalidHeader},
		{"LF in value", []HeaderField{{"a", "v\nx-injected: 1"}}, "", ErrInvalidHeader},
		{"CR in value", []HeaderField{{"a", "v\r"}}, "", ErrInvalidHeader},
		{"NUL in value", []HeaderField{{"a", "v\x00"}}, "", ErrInvalidHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := encodeHeaders(tc.fields)
			if err != tc.err || string(got) != tc.want {
				t.Fatalf("encodeHeaders = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestParseHeaderLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []HeaderField
	}{
		{"empty", "", nil},
		{"one", "content-type: text/plain\n", []HeaderField{{"content-type", "text/plain"}}},
		{"no final LF", "a: 1\nb: 2", []HeaderField{{"a", "1"}, {"b", "2"}}},
		{"case and blanks", "Content-Type:\t text/plain \r\n", []HeaderField{{"content-type", "text/plain"}}},
		{"repeated", "set-cookie: a=1\nset-cookie: b=2\n", []HeaderField{{"set-cookie", "a=1"}, {"set-cookie", "b=2"}}},
		{"colon in value", "location: http://x:1/\n", []HeaderField{{"location", "http://x:1/"}}},
		{"skips malformed", "garbage\n: novalue\nok: 1\n\n", []HeaderField{{"ok", "1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseHeaderLines([]byte(tc.in)); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("parseHeaderLines(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzParseHeaderLines(f *testing.F) {
	f.Add("a: 1\nb: 2\n")
	f.Add("x")
	f.Fuzz(func(t *testing.T, s string) {
		for _, h := range parseHeaderLines([]byte(s)) {
			if h.Name == "" {
				t.Fatalf("empty name from %q", s)
			}
		}
	})
}

func TestDurations(t *testing.T) {
	for _, tc := range []struct {
		d           time.Duration
		ttl         int64
		timeoutMsec int32
	}{
		{0, 0, 0},
		{-time.Second, 0, 0},
		{time.Microsecond, 1, 1},
		{1500 * time.Microsecond, 2, 2},
		{time.Minute, 60000, 60000},
		{1000 * time.Hour, 3600000000, 1<<31 - 1},
		{400 * 24 * time.Hour, 31536000000, 1<<31 - 1}, // ttl capped at MaxTTL
	} {
		if got := ttlMillis(tc.d); got != tc.ttl {
			t.Errorf("ttlMillis(%v) = %d, want %d", tc.d, got, tc.ttl)
		}
		if got := timeoutMillis(tc.d); got != tc.timeoutMsec {
			t.Errorf("timeoutMillis(%v) = %d, want %d", tc.d, got, tc.timeoutMsec)
		}
	}
}
