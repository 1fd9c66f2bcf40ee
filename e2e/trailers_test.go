package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTrailersAreForwarded sends a chunked request with a trailer through the gateway and has the backend answer
// with one: both arrive.
func TestTrailersAreForwarded(t *testing.T) {
	var gotTrailer string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		gotTrailer = r.Trailer.Get("X-Checksum")
		w.Header().Set("Trailer", "X-Result")
		_, _ = w.Write(append([]byte("got "), body...))
		w.Header().Set("X-Result", "done")
	}))
	defer backend.Close()
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	applyYAML(t, c, `
services:
  - id: trai0001
    name: trailers
    resources:
      /up: { methods: { POST: { backend: { type: http, path: /up } } } }
    stages:
      - { name: "", backendUrl: "`+backend.URL+`" }
`)
	deploy(t, c, "trailers", "default", "")
	req, _ := http.NewRequest("POST", "http://"+n.GatewayAddrs()[0]+"/up", io.NopCloser(strings.NewReader("payload")))
	req.Host = "trai0001.localhost"
	req.ContentLength = -1 // chunked, so the trailer can follow the body
	req.Trailer = http.Header{"X-Checksum": {"abc123"}}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "got payload" {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
	if gotTrailer != "abc123" {
		t.Errorf("the backend saw request trailer %q", gotTrailer)
	}
	if resp.Trailer.Get("X-Result") != "done" {
		t.Errorf("the client saw response trailers %v", resp.Trailer)
	}
}
