package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// seen is one request a test backend received.
type seen struct {
	Method     string
	RequestURI string // as sent on the wire: escaped path and query
	Host       string
	Header     http.Header
	Body       string
}

// backend is a recording HTTP backend. Paths starting with /slow sleep, /big answers 11 MB, anything else echoes
// "backend <name> <method> <request-uri>".
type backend struct {
	*httptest.Server
	name string
	mu   sync.Mutex
	got  []seen
}

func newBackend(t *testing.T, name string) *backend {
	t.Helper()
	b := &backend{name: name}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.Close)
	return b
}

func (b *backend) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	b.got = append(b.got, seen{Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone(),
		Body: string(body)})
	b.mu.Unlock()
	switch {
	case strings.HasPrefix(r.URL.Path, "/slow"):
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	case strings.HasPrefix(r.URL.Path, "/big"):
		w.Header().Set("Content-Type", "application/octet-stream")
		chunk := make([]byte, 1<<20)
		for i := 0; i < 11; i++ {
			_, _ = w.Write(chunk)
		}
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Connection", "X-Hop")
	w.Header().Set("X-Hop", "must not reach the client")
	w.Header().Set("X-Backend", b.name)
	_, _ = io.WriteString(w, "backend "+b.name+" "+r.Method+" "+r.RequestURI)
}

// last returns the last request the backend saw.
func (b *backend) last(t *testing.T) seen {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.got) == 0 {
		t.Fatal("the backend saw no request")
	}
	return b.got[len(b.got)-1]
}

func (b *backend) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.got)
}
