package pipeline

import (
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/abi"
)

// TestCanonicalNameMatchesFasthttp keeps the exchange's own name folding equal to fasthttp's on every token: the
// lookups that follow it switch fasthttp's normalising off, so a difference would be a field not found.
func TestCanonicalNameMatchesFasthttp(t *testing.T) {
	for _, name := range []string{"x", "X", "content-type", "CONTENT-TYPE", "x-nhn-apikey", "X-Forwarded-For",
		"a--b", "-leading", "trailing-", "x_under_score", "WWW-Authenticate", "ratelimit-limit", "x~9!#$%&'*+.^`|",
		"A-Very-Long-Header-Name-That-Goes-Past-Thirty-Two-Bytes"} {
		checkCanonical(t, []byte(name))
	}
}

func FuzzCanonicalName(f *testing.F) {
	for _, s := range []string{"content-type", "X-API-KEY", "a-b-c", "9-z"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, name []byte) {
		if abi.ValidToken(name) {
			checkCanonical(t, name)
		}
	})
}

func checkCanonical(t *testing.T, name []byte) {
	t.Helper()
	var e exchange
	got := e.canonicalName(name)
	if want := fasthttp.AppendNormalizedHeaderKeyBytes(nil, name); !bytes.Equal(got, want) {
		t.Fatalf("canonicalName(%q) = %q, fasthttp stores %q", name, got, want)
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
