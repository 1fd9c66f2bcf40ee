package e2e

import (
	"strings"
	"testing"
)

// TestHeaderAndQueryPlugins applies the plugin part of the contract file (request-header, query-param,
// response-header) and checks what the backend and the client see.
func TestHeaderAndQueryPlugins(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	applyYAML(t, c, `
services:
  - id: shop0001
    name: shop
    resources:
      /products:
        plugins:
          - type: request-header
            overrideChildren: false
            config: { set: { x-path-level: "yes" } }
        methods:
          POST:
            backend: { type: http, path: /api/products }
            plugins:
              - type: request-header
                config:
                  set: { x-client-ip: "${request.clientIp}", x-source: portico, x-q: "${request.query.q}" }
                  remove: [x-debug]
      /products/{productId}:
        methods:
          GET:
            backend: { type: http, path: "/api/products/${request.path.productId}" }
            plugins:
              - type: query-param
                config: { add: { lang: ko, pid: "${request.path.productId}", "a b": "c&d" } }
              - type: response-header
                phase: response
                config: { set: { cache-control: "max-age=60" }, remove: [x-backend] }
      /products/{productId}/reviews:
        methods:
          GET: { backend: { type: http, path: "/api/reviews" } }
    stages:
      - { name: test, backendUrl: "`+be.URL+`" }
`)
	deploy(t, c, "shop", "test", "")
	gw := n.GatewayAddrs()[0]

	r := call(t, gw, shopTest, "POST", "/products?q=a%0d%0aInjected:%20x", "X-Debug", "1")
	expectStatus(t, r, 200)
	got := be.last(t)
	if got.Header.Get("X-Client-Ip") != "127.0.0.1" || got.Header.Get("X-Source") != "portico" {
		t.Fatalf("request headers %v", got.Header)
	}
	if got.Header.Get("X-Debug") != "" || got.Header.Get("Injected") != "" {
		t.Fatalf("x-debug kept or a header injected: %v", got.Header)
	}
	if q := got.Header.Get("X-Q"); q != "aInjected: x" {
		t.Fatalf("x-q = %q: CR/LF from a context variable must be dropped", q)
	}
	// The method's own request-header plugin replaces the path's (same type, no overrideChildren).
	if got.Header.Get("X-Path-Level") != "" {
		t.Fatal("the path-level request-header plugin ran although the method has its own")
	}

	r = call(t, gw, shopTest, "GET", "/products/p1?lang=en")
	expectStatus(t, r, 200)
	if uri := be.last(t).RequestURI; uri != "/api/products/p1?lang=en&a+b=c%26d&lang=ko&pid=p1" {
		t.Fatalf("backend URI %q", uri)
	}
	if r.Header.Get("Cache-Control") != "max-age=60" || r.Header.Get("X-Backend") != "" {
		t.Fatalf("response headers %v", r.Header)
	}

	// A path plugin applies to the methods of paths below it.
	call(t, gw, shopTest, "GET", "/products/p1/reviews")
	if be.last(t).Header.Get("X-Path-Level") != "yes" {
		t.Fatalf("the /products plugin did not reach GET /products/{productId}/reviews: %v", be.last(t).Header)
	}
}

func TestPluginConfigErrorsAtSaveTime(t *testing.T) {
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	for _, tc := range []struct{ name, plugin, want string }{
		{"unknown type", `{ type: nope }`, "unknown plugin type"},
		{"undeclared variable", `{ type: request-header, config: { set: { x: "${request.path.id}" } } }`, "not declared"},
		{"bad header name", `{ type: request-header, config: { set: { "a b": "x" } } }`, "not a valid header name"},
		{"wrong phase", `{ type: response-header, config: { set: { a: b } } }`, "phase"},
		{"unknown field", `{ type: query-param, config: { append: { a: b } } }`, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := `
services:
  - name: s
    resources:
      /x:
        methods:
          GET:
            backend: { type: mock, status: 200 }
            plugins: [` + tc.plugin + `]
`
			err := tryApply(c, doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "plugins[0]") {
				t.Fatalf("error %v, want %q naming plugins[0]", err, tc.want)
			}
		})
	}
}

// TestForwardingFieldsAndCookies checks what the backend learns about the client: X-Forwarded-For keeps the
// client's list and appends the peer, spoofed X-Forwarded-Host/Proto and repeated lines are replaced, hop-by-hop
// fields are dropped, and the Cookie field arrives byte for byte as sent even when a plugin reads request headers
// (CORS reads Origin through the plugin ABI).
func TestForwardingFieldsAndCookies(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	applyYAML(t, c, `
services:
  - id: shop0001
    name: shop
    resources:
      /items:
        plugins:
          - type: cors
            config: { allowOrigins: ["https://shop.example.com"] }
        methods:
          GET: { backend: { type: http, path: /api/items } }
    stages:
      - { name: test, backendUrl: "`+be.URL+`" }
`)
	deploy(t, c, "shop", "test", "")
	gw := n.GatewayAddrs()[0]

	const cookie = `session="a b"; theme=dark; list=1,2`
	r := call(t, gw, shopTest, "GET", "/items",
		"Origin", "https://shop.example.com",
		"Cookie", cookie,
		"X-Forwarded-For", "203.0.113.7",
		"X-Forwarded-Host", "evil.example",
		"X-Forwarded-Proto", "https",
		"Connection", "keep-alive, X-Secret",
		"X-Secret", "hop-by-hop by name")
	expectStatus(t, r, 200)
	got := be.last(t)
	for name, want := range map[string]string{
		"Cookie":            cookie,
		"X-Forwarded-For":   "203.0.113.7, 127.0.0.1",
		"X-Forwarded-Host":  shopTest,
		"X-Forwarded-Proto": "http",
		"X-Secret":          "",
	} {
		if v := strings.Join(got.Header.Values(name), " | "); v != want {
			t.Errorf("backend got %s = %q, want %q", name, v, want)
		}
	}
	if r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
		t.Fatalf("the CORS plugin did not run: %v", r.Header)
	}
}
