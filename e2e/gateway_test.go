package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/node"
)

// shopYAML is the shop of examples/config/shop.yaml with the backend URL replaced.
func shopYAML(t *testing.T, backendURL string) string {
	t.Helper()
	data, err := os.ReadFile("../examples/config/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(data), "http://127.0.0.1:9000", backendURL)
}

const shopTest = "shop0001-test.localhost"

func TestProxyThroughHostHeader(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	applyYAML(t, c, shopYAML(t, be.URL+"/base"))
	deploy(t, c, "shop", "test", "first")
	gw := n.GatewayAddrs()[0]

	t.Run("path variables, query kept, forwarding headers", func(t *testing.T) {
		r := call(t, gw, shopTest+":8080", "GET", "/products/p%20q?lang=ko&x=1",
			"X-Forwarded-For", "203.0.113.9", "Connection", "X-Secret", "X-Secret", "hop")
		expectStatus(t, r, 200)
		got := be.last(t)
		if got.RequestURI != "/base/api/products/p%20q?lang=ko&x=1" {
			t.Fatalf("backend request URI = %q", got.RequestURI)
		}
		if got.Header.Get("X-Secret") != "" {
			t.Fatal("a header named by Connection was forwarded")
		}
		if xff := got.Header.Get("X-Forwarded-For"); xff != "203.0.113.9, 127.0.0.1" {
			t.Fatalf("X-Forwarded-For = %q", xff)
		}
		if got.Header.Get("X-Forwarded-Host") != shopTest+":8080" || got.Header.Get("X-Forwarded-Proto") != "http" {
			t.Fatalf("forwarded host/proto = %q %q", got.Header.Get("X-Forwarded-Host"), got.Header.Get("X-Forwarded-Proto"))
		}
		if got.Header.Get("X-Request-Id") == "" || got.Header.Get("X-Request-Id") != r.Header.Get("X-Request-Id") {
			t.Fatalf("request id: backend %q, client %q", got.Header.Get("X-Request-Id"), r.Header.Get("X-Request-Id"))
		}
		if r.Header.Get("X-Hop") != "" {
			t.Fatal("a response header named by the backend's Connection header reached the client")
		}
		if r.Header.Get("X-Backend") != "a" {
			t.Fatalf("X-Backend = %q", r.Header.Get("X-Backend"))
		}
	})

	t.Run("greedy variable", func(t *testing.T) {
		r := call(t, gw, shopTest, "GET", "/files/css/site.css")
		expectStatus(t, r, 200)
		if got := be.last(t).RequestURI; got != "/base/static/css/site.css" {
			t.Fatalf("backend request URI = %q", got)
		}
	})

	t.Run("POST body reaches the backend", func(t *testing.T) {
		req, _ := http.NewRequest("POST", "http://"+gw+"/products", strings.NewReader(`{"name":"pen"}`))
		req.Host = shopTest
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || be.last(t).Body != `{"name":"pen"}` || be.last(t).Method != "POST" {
			t.Fatalf("status %d, backend saw %+v", resp.StatusCode, be.last(t))
		}
	})

	t.Run("mock with client IP", func(t *testing.T) {
		before := be.count()
		r := call(t, gw, shopTest, "GET", "/hello")
		expectStatus(t, r, 200)
		if r.Body != "hello 127.0.0.1" || r.Header.Get("Content-Type") != "text/plain" {
			t.Fatalf("mock answered %q (%s)", r.Body, r.Header.Get("Content-Type"))
		}
		if be.count() != before {
			t.Fatal("a mock method called the backend")
		}
	})

	t.Run("not found cases", func(t *testing.T) {
		for _, tc := range []struct {
			host, method, path, code string
			status                   int
		}{
			{"nope.localhost", "GET", "/products", "unknown_host", 404},
			{shopTest, "GET", "/nothing", "route_not_found", 404},
			{shopTest, "DELETE", "/products", "method_not_found", 404},
			{"shop0001.localhost", "GET", "/products", "unknown_host", 404}, // default stage not deployed
			{shopTest, "GET", "/files/a/%2e%2e/b", "bad_path", 400},
			{shopTest, "GET", "/files/%zz", "bad_path", 400},
		} {
			r := call(t, gw, tc.host, tc.method, tc.path)
			expectStatus(t, r, tc.status)
			code, rid := gatewayError(t, r)
			if code != tc.code || rid == "" || rid != r.Header.Get("X-Request-Id") {
				t.Fatalf("%s %s %s: code %q requestId %q header %q", tc.host, tc.method, tc.path, code, rid,
					r.Header.Get("X-Request-Id"))
			}
		}
	})

	t.Run("health checks on a non-stage host", func(t *testing.T) {
		expectStatus(t, call(t, gw, "10.1.2.3", "GET", "/healthz"), 200)
		r := call(t, gw, "10.1.2.3", "GET", "/readyz")
		expectStatus(t, r, 200)
		expectContains(t, r.Body, `"stages":1`)
	})
}

func TestHostilePathsStayUnderBackendBase(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	applyYAML(t, c, shopYAML(t, be.URL+"/base"))
	deploy(t, c, "shop", "test", "first")
	gw := n.GatewayAddrs()[0]
	for _, p := range []string{
		"/files/a%2F..%2F..%2Fetc%2Fpasswd",
		"/files/..%252F..%252Fsecret",
		"/files/x/%2E%2E%2F%2E%2E/y",
		"/products/..%2F..%2Fadmin",
		"/files/" + strings.Repeat("a/", 3000) + "b",
	} {
		r := call(t, gw, shopTest, "GET", p)
		if r.Status == 200 {
			uri := be.last(t).RequestURI
			if !strings.HasPrefix(uri, "/base/") || strings.Contains(uri, "/../") || strings.Contains(uri, "/./") {
				t.Fatalf("%s reached the backend as %q", p, uri)
			}
			for _, seg := range strings.Split(strings.SplitN(uri, "?", 2)[0], "/") {
				if seg == ".." || seg == "." {
					t.Fatalf("%s produced a dot segment: %q", p, uri)
				}
			}
		} else if r.Status != 400 && r.Status != 404 && r.Status != 414 && r.Status != 431 {
			t.Fatalf("%s: status %d %q", p, r.Status, r.Body)
		}
	}
}

func TestRollbackRestoresOldBehaviour(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	ctx := context.Background()
	gw := n.GatewayAddrs()[0]

	applyYAML(t, c, shopYAML(t, be.URL))
	first := deploy(t, c, "shop", "test", "v1")
	call(t, gw, shopTest, "GET", "/products")
	if got := be.last(t).RequestURI; got != "/api/products" {
		t.Fatalf("v1 backend path %q", got)
	}

	applyYAML(t, c, strings.Replace(shopYAML(t, be.URL), "path: /api/products }\n          POST", "path: /v2/products }\n          POST", 1))
	second := deploy(t, c, "shop", "test", "v2")
	call(t, gw, shopTest, "GET", "/products")
	if got := be.last(t).RequestURI; got != "/v2/products" {
		t.Fatalf("v2 backend path %q", got)
	}

	hist, err := c.ListDeployments(ctx, "shop", "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].ID != second || !hist[0].Deployed || hist[1].ID != first || hist[1].Deployed {
		t.Fatalf("history = %+v", hist)
	}

	if _, err := c.Rollback(ctx, "shop", "test", first); err != nil {
		t.Fatal(err)
	}
	// Rollback changes the stage's editable state only; the deployed snapshot still serves v2.
	call(t, gw, shopTest, "GET", "/products")
	if got := be.last(t).RequestURI; got != "/v2/products" {
		t.Fatalf("after rollback, before deploy: %q", got)
	}
	if _, err := c.Deploy(ctx, "shop", "test", "back to v1", false); err != nil {
		t.Fatal(err)
	}
	call(t, gw, shopTest, "GET", "/products")
	if got := be.last(t).RequestURI; got != "/api/products" {
		t.Fatalf("after rollback + deploy: %q", got)
	}
}

func TestRestartKeepsServingLastDeployment(t *testing.T) {
	be := newBackend(t, "a")
	dir := t.TempDir()
	n := startNode(t, dir)
	c := clientOf(n)
	applyYAML(t, c, shopYAML(t, be.URL))
	deploy(t, c, "shop", "test", "v1")
	if err := n.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	n2 := startNode(t, dir)
	r := call(t, n2.GatewayAddrs()[0], shopTest, "GET", "/products/7")
	expectStatus(t, r, 200)
	if got := be.last(t).RequestURI; got != "/api/products/7" {
		t.Fatalf("after restart the backend saw %q", got)
	}
	if n2.Token() != n.Token() {
		t.Fatal("the admin token changed across restarts")
	}
}

func TestBackendFailures(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir(), func(c *node.Config) { c.BackendTimeout = 1500 * time.Millisecond })
	c := clientOf(n)
	applyYAML(t, c, `
services:
  - id: fail0001
    name: fail
    resources:
      /slow: { methods: { GET: { backend: { type: http, path: /slow } } } }
      /big: { methods: { GET: { backend: { type: http, path: /big } } } }
      /ok: { methods: { POST: { backend: { type: http, path: /ok } } } }
    stages:
      - { name: up, backendUrl: "`+be.URL+`" }
      - { name: down, backendUrl: "http://127.0.0.1:1" }
`)
	deploy(t, c, "fail", "up", "")
	deploy(t, c, "fail", "down", "")
	gw := n.GatewayAddrs()[0]

	for _, tc := range []struct {
		host, path, code string
		status           int
	}{
		{"fail0001-up.localhost", "/slow", "backend_timeout", 504},
		{"fail0001-up.localhost", "/big", "backend_response_too_large", 502},
		{"fail0001-down.localhost", "/slow", "backend_unavailable", 502},
	} {
		r := call(t, gw, tc.host, "GET", tc.path)
		expectStatus(t, r, tc.status)
		if code, _ := gatewayError(t, r); code != tc.code {
			t.Fatalf("%s%s: code %q, want %q", tc.host, tc.path, code, tc.code)
		}
		if strings.Contains(r.Body, "127.0.0.1") {
			t.Fatalf("the error leaks the backend address: %q", r.Body)
		}
	}

	// A request body over 10 MB is refused with 413 before any backend call. The request is written by hand: the
	// gateway answers as soon as it reads the Content-Length, and an ordinary client still busy writing the body
	// would see the connection reset instead of the answer.
	before := be.count()
	conn, err := net.Dial("tcp", gw)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /ok HTTP/1.1\r\nHost: fail0001-up.localhost\r\nContent-Length: %d\r\n\r\n", 10<<20+1)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || !strings.Contains(string(body), "request_body_too_large") || be.count() != before {
		t.Fatalf("oversized body: status %d %q, backend calls %d→%d", resp.StatusCode, body, before, be.count())
	}

	// The gateway still serves after all that.
	expectStatus(t, call(t, gw, "fail0001-up.localhost", "POST", "/ok"), 200)
}

// TestShutdownDrainsInFlightRequests stops the node while a slow request is in flight: the request completes.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	applyYAML(t, c, `
services:
  - id: slow0001
    name: slow
    resources:
      /slow: { methods: { GET: { backend: { type: http, path: /slow } } } }
    stages:
      - { name: "", backendUrl: "`+be.URL+`" }
`)
	deploy(t, c, "slow", "", "")
	gw := n.GatewayAddrs()[0]
	done := make(chan response, 1)
	go func() {
		r, err := tryCall(gw, "slow0001.localhost", "GET", "/slow")
		if err != nil {
			r.Body = err.Error()
		}
		done <- r
	}()
	for be.count() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	r := <-done
	if r.Status != 200 {
		t.Fatalf("the in-flight request got %d %q", r.Status, r.Body)
	}
	if _, err := tryCall(gw, "slow0001.localhost", "GET", "/slow"); err == nil {
		t.Fatal("the gateway still accepts requests after shutdown")
	}
}
