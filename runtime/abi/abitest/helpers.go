package abitest

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/portico-gateway/portico/runtime/abi"
)

// baseRequest is the request every case starts from unless it edits it.
func baseRequest() Request {
	return Request{
		Method:   "POST",
		URI:      "/items/42?q=a%26b",
		Protocol: "HTTP/1.1",
		Header: http.Header{
			"X-One":        {"1"},
			"X-Multi":      {"a", "b"},
			"Content-Type": {"text/plain"},
		},
		Trailer:    http.Header{"X-Trl": {"t"}},
		Body:       []byte("hello body"),
		SourceAddr: "203.0.113.7:4242",
		Vars: map[string]string{
			"request.id":       "req-123",
			"request.clientIp": "203.0.113.7",
		},
	}
}

// backendResponse is what the backend answers in cases that pass the request on.
func backendResponse() Response {
	return Response{
		Status: 200,
		Header: http.Header{"X-Backend": {"yes"}, "X-Drop": {"1"}},
		Body:   []byte("from backend"),
	}
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if want == nil && got != nil {
		t.Fatalf("%s: unexpected error %v", what, got)
	}
	if want != nil && !errors.Is(got, want) {
		t.Fatalf("%s: error = %v, want %v", what, got, want)
	}
}

func wantEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// split turns a NUL-terminated list into strings, checking the count.
func split(t *testing.T, what string, list []byte, count int) []string {
	t.Helper()
	var out []string
	for len(list) > 0 {
		i := bytes.IndexByte(list, 0)
		if i < 0 {
			t.Fatalf("%s: list %q is not NUL-terminated", what, list)
		}
		out = append(out, string(list[:i]))
		list = list[i+1:]
	}
	if len(out) != count {
		t.Fatalf("%s: count = %d but the list holds %d items %q", what, count, len(out), out)
	}
	return out
}

func headerNames(t *testing.T, ex abi.Exchange, kind abi.HeaderKind) []string {
	t.Helper()
	out, n := ex.AppendHeaderNames(kind, []byte("prefix"))
	if !bytes.HasPrefix(out, []byte("prefix")) {
		t.Fatalf("AppendHeaderNames lost dst's contents: %q", out)
	}
	return split(t, "AppendHeaderNames", out[len("prefix"):], n)
}

func headerValues(t *testing.T, ex abi.Exchange, kind abi.HeaderKind, name string) []string {
	t.Helper()
	out, n := ex.AppendHeaderValues(kind, []byte(name), []byte("prefix"))
	if !bytes.HasPrefix(out, []byte("prefix")) {
		t.Fatalf("AppendHeaderValues lost dst's contents: %q", out)
	}
	return split(t, "AppendHeaderValues", out[len("prefix"):], n)
}

func wantStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

func wantContains(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Fatalf("%s = %q, missing %q", what, got, w)
		}
	}
}

// readAll reads kind's body in chunks of size n until EOF.
func readAll(t *testing.T, ex abi.Exchange, kind abi.BodyKind, n int) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, n)
	for range 1 << 16 {
		got, eof, err := ex.ReadBody(kind, buf)
		wantErr(t, "ReadBody", err, nil)
		out = append(out, buf[:got]...)
		if eof {
			return out
		}
		if got == 0 {
			t.Fatalf("ReadBody returned no bytes and no EOF after %q", out)
		}
	}
	t.Fatal("ReadBody never reached EOF")
	return nil
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	wantErr(t, what, err, nil)
}
