package pipeline

import (
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/abi"
)

// TestCanonicalTokenMatchesFasthttp keeps the exchange's own name folding equal to fasthttp's on every token: the
// lookups that follow it switch fasthttp's normalising off, so a difference would be a field not found.
func TestCanonicalTokenMatchesFasthttp(t *testing.T) {
	for _, name := range []string{"x", "X", "content-type", "CONTENT-TYPE", "x-nhn-apikey", "X-Forwarded-For",
		"a--b", "-leading", "trailing-", "x_under_score", "WWW-Authenticate", "ratelimit-limit", "x~9!#$%&'*+.^`|",
		"A-Very-Long-Header-Name-That-Goes-Past-Thirty-Two-Bytes"} {
		checkCanonical(t, []byte(name))
	}
}

// FuzzCanonicalToken: canonicalToken accepts exactly the tokens, and folds them as fasthttp does.
func FuzzCanonicalToken(f *testing.F) {
	for _, s := range []string{"content-type", "X-API-KEY", "a-b-c", "9-z", "bad name", "x:y", "é", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, name []byte) {
		var e exchange
		if _, ok := e.canonicalToken(name); ok != abi.ValidToken(name) {
			t.Fatalf("canonicalToken(%q) ok = %v, ValidToken says %v", name, ok, !ok)
		}
		if abi.ValidToken(name) {
			checkCanonical(t, name)
		}
	})
}

func checkCanonical(t *testing.T, name []byte) {
	t.Helper()
	var e exchange
	got, ok := e.canonicalToken(name)
	if want := fasthttp.AppendNormalizedHeaderKeyBytes(nil, name); !ok || !bytes.Equal(got, want) {
		t.Fatalf("canonicalToken(%q) = %q, %v; fasthttp stores %q", name, got, ok, want)
	}
}

// TestFieldLookupsLeaveNormalisingOn: requestValues and responseValues switch fasthttp's normalising off for one
// lookup only. Left off, a later Set or Peek with a lower-case name (a plugin's, the proxy's) would miss the field.
func TestFieldLookupsLeaveNormalisingOn(t *testing.T) {
	var req fasthttp.RequestHeader
	req.Set("x-api-key", "k")
	if got := requestValues(&req, []byte("X-Api-Key")); len(got) != 1 || string(got[0]) != "k" {
		t.Fatalf("requestValues = %q", got)
	}
	if got := string(req.Peek("x-api-key")); got != "k" {
		t.Errorf("after requestValues, Peek(lower case) = %q: normalising was left off", got)
	}
	var resp fasthttp.ResponseHeader
	resp.Add("cache-control", "a")
	resp.Add("Cache-Control", "b")
	if got := responseValues(&resp, []byte("Cache-Control")); len(got) != 2 {
		t.Fatalf("responseValues = %q, want both values", got)
	}
	if got := string(resp.Peek("cache-control")); got != "a" {
		t.Errorf("after responseValues, Peek(lower case) = %q: normalising was left off", got)
	}
}

func TestResponseRepeated(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fields   []string // name, value pairs added in order
		trailers string   // announced trailers
		want     bool
	}{
		{"absent", []string{"Etag", `"a"`}, "", false},
		{"once", []string{"cache-control", "no-cache", "Etag", `"a"`}, "", false},
		{"twice", []string{"Cache-Control", "a", "Etag", `"a"`, "CACHE-CONTROL", "b"}, "", true},
		{"once, with trailers announced", []string{"Cache-Control", "a"}, "X-Checksum", false},
		{"twice, with trailers announced", []string{"Cache-Control", "a", "Cache-Control", "b"}, "X-Checksum", true},
	} {
		var h fasthttp.ResponseHeader
		for i := 0; i < len(tc.fields); i += 2 {
			h.Add(tc.fields[i], tc.fields[i+1])
		}
		if tc.trailers != "" {
			if err := h.SetTrailer(tc.trailers); err != nil {
				t.Fatal(err)
			}
		}
		if got := responseRepeated(&h, []byte("Cache-Control")); got != tc.want {
			t.Errorf("%s: responseRepeated = %v, want %v", tc.name, got, tc.want)
		}
		if tc.trailers == "" {
			if n := testing.AllocsPerRun(100, func() { responseRepeated(&h, []byte("Cache-Control")) }); n != 0 {
				t.Errorf("%s: %.0f allocations", tc.name, n)
			}
		}
	}
}

// BenchmarkResponseFieldWrite is one response field set by a plugin after next (as the rate limiter's and CORS's
// are), against fasthttp's own SetCanonical of the same field: the floor, without the ABI's checks, the name's
// folding and the check for a repeated field.
func BenchmarkResponseFieldWrite(b *testing.B) {
	var ctx fasthttp.RequestCtx
	resp := &ctx.Response
	setup := func() {
		resp.Reset()
		resp.Header.SetContentType("application/json")
		resp.Header.Set("Date", "Mon, 23 Nov 2026 09:00:00 GMT")
		resp.Header.Set("X-Backend", "b1")
		resp.Header.Set("Etag", `"abc"`)
		resp.Header.Set("Vary", "Accept-Encoding")
	}
	name, value := []byte("ratelimit-remaining"), []byte("99999")
	b.Run("exchange", func(b *testing.B) {
		r := AcquireRequest(&ctx)
		defer ReleaseRequest(r)
		e := &r.ex
		e.reset(r)
		e.afterNext = true
		setup()
		for b.Loop() {
			_ = e.SetHeader(abi.HeaderResponse, name, value)
		}
	})
	b.Run("fasthttp-SetCanonical", func(b *testing.B) {
		setup()
		canon := []byte("Ratelimit-Remaining")
		for b.Loop() {
			resp.Header.SetCanonical(canon, value)
		}
	})
}
