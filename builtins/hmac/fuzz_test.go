package hmac

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

func FuzzParseAuthorization(f *testing.F) {
	f.Add(`hmac algorithm="HmacSHA256", headers="host,x-nhn-client-id,x-nhn-client-ip" , signature="V5Dye9kgG3tvZOOZertd5LXE0q8CcJGXCxEFCR71hUE="`)
	f.Add(`HMAC algorithm=HmacSHA1,signature=abc/def+g==`)
	f.Add(`hmac algorithm="", headers=",", signature="x"`)
	f.Add(`hmac algorithm="a", algorithm="b"`)
	f.Add(`hmac  x = "y" , algorithm = "a" , signature = "s" ,`)
	f.Add(`Bearer abc`)
	f.Fuzz(func(t *testing.T, s string) {
		in := []byte(s)
		a, err := parseAuthorization(in)
		if err != nil {
			return
		}
		if len(in) > maxAuthorizationLength || len(a.algorithm) == 0 || len(a.signature) == 0 ||
			len(a.signature) > maxSignatureLength {
			t.Fatalf("accepted out of bounds: %+v", a)
		}
		for _, field := range [][]byte{a.algorithm, a.headers, a.signature} {
			if bytes.ContainsAny(field, "\"\\\r\n\x00") {
				t.Fatalf("a field holds a quote, backslash or control character: %q", field)
			}
			if len(field) > 0 && !bytes.Contains(in, field) {
				t.Fatalf("field %q is not part of the input", field)
			}
		}
		count := 0
		for it := newNames(a.headers); ; count++ {
			name, ok := it.next()
			if !ok {
				break
			}
			if len(name) == 0 || !isToken(name) {
				t.Fatalf("headers list %q yields %q", a.headers, name)
			}
		}
		if count > maxHeaderNames {
			t.Fatalf("%d header names", count)
		}
		// What parses, re-serialised canonically, parses to the same thing.
		canon := `hmac algorithm="` + string(a.algorithm) + `", headers="` + string(a.headers) + `", signature="` +
			string(a.signature) + `"`
		b, err := parseAuthorization([]byte(canon))
		if err != nil || !bytes.Equal(a.algorithm, b.algorithm) || !bytes.Equal(a.headers, b.headers) ||
			!bytes.Equal(a.signature, b.signature) {
			t.Fatalf("round trip of %q: %+v %v", canon, b, err)
		}
	})
}

// FuzzParseDate checks the hand-written ISO 8601 reader against time.Parse.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2021-02-23T00:00:00+09:00", "2021-02-23T00:00:00Z", "2024-02-29T23:59:59.123-0130",
		"2021-02-23T00:00:00.Z", "9999-12-31T23:59:59+23:59"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDate([]byte(s))
		if !ok {
			return
		}
		// Rewrite the accepted forms RFC 3339 does not know (±hhmm, lower-case t/z) and compare.
		std := strings.ToUpper(s)
		if n := len(std); n >= 5 && (std[n-5] == '+' || std[n-5] == '-') && !strings.Contains(std[n-5:], ":") {
			std = std[:n-2] + ":" + std[n-2:]
		}
		want, err := time.Parse(time.RFC3339Nano, std)
		if err != nil {
			t.Fatalf("parseDate accepted %q, time.Parse refuses %q: %v", s, std, err)
		}
		if got != want.UnixNano() {
			t.Fatalf("parseDate(%q) = %d, time.Parse says %d", s, got, want.UnixNano())
		}
	})
}

// BenchmarkVerify is an authentic request through the whole plugin: headers read through the ABI, Authorization
// and date parsed, SignToString built, HMAC-SHA256 computed and compared.
func BenchmarkVerify(b *testing.B) {
	r := testRequest{method: "GET", uri: "/members?isEnable=false&type=public",
		date:   time.Now().UTC().Format(time.RFC3339),
		header: http.Header{"Host": {"kr1-example.api.nhncloudservice.com"}, "X-Nhn-Client-Id": {"nhn"}, "X-Nhn-Client-Ip": {"10.0.0.1", "10.0.0.2"}}}
	v, err := Parse(json.RawMessage(`{"secret":"` + secret + `","validitySeconds":300,"requiredHeaders":["host"]}`))
	if err != nil {
		b.Fatal(err)
	}
	for _, alg := range []string{"HmacSHA256", "HmacSHA1"} {
		b.Run(alg, func(b *testing.B) {
			ex := memexchange.New(memexchange.Request{Method: r.method, URI: r.uri, Header: signed(r, secret, alg, seedHeaders)})
			b.ReportAllocs()
			for b.Loop() {
				if next, _ := v.HandleRequest(ex); !next {
					b.Fatal(ex.Response())
				}
			}
		})
	}
}
