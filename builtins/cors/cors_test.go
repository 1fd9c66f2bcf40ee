package cors

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// exampleConfig is the cors config of contract/portico.example.yaml.
const exampleConfig = `{"allowOrigins":["https://shop.example.com","http://localhost:3000"],"allowMethods":["GET","POST"],
	"allowHeaders":["content-type","x-nhn-apikey"],"exposeHeaders":["x-request-id"],"allowCredentials":true,"maxAge":600}`

func mustParse(t testing.TB, raw string) *Plugin {
	t.Helper()
	p, err := parse(json.RawMessage(raw))
	if err != nil {
		t.Fatalf("parse(%s): %v", raw, err)
	}
	return p
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, config, want string // want: a substring of the error, "" for a valid config
	}{
		{"example", exampleConfig, ""},
		{"any origin", `{"allowOrigins":["*"]}`, ""},
		{"all stars", `{"allowOrigins":["*"],"allowMethods":["*"],"allowHeaders":["*"],"exposeHeaders":["*"]}`, ""},
		{"max age -1", `{"allowOrigins":["*"],"maxAge":-1}`, ""},
		{"ipv6 and port", `{"allowOrigins":["http://[::1]:8080","https://a.example:443/"]}`, ""},
		{"unknown field", `{"allowOrigins":["*"],"allowOrigin":["x"]}`, "unknown field"},
		{"not json", `[`, "config:"},
		{"no origins", `{"allowMethods":["GET"]}`, "allowOrigins: give at least one"},
		{"star with credentials", `{"allowOrigins":["*"],"allowCredentials":true}`, "cannot be combined with allowCredentials"},
		{"star mixed", `{"allowOrigins":["https://a.example","*"]}`, `allowOrigins[1]: "*" allows every origin`},
		{"origin without scheme", `{"allowOrigins":["shop.example.com"]}`, "allowOrigins[0]"},
		{"origin with path", `{"allowOrigins":["https://a.example/app"]}`, "more than scheme, host and port"},
		{"origin with query", `{"allowOrigins":["https://a.example?x=1"]}`, "more than scheme, host and port"},
		{"origin with user", `{"allowOrigins":["https://u@a.example"]}`, "more than scheme, host and port"},
		{"origin wildcard", `{"allowOrigins":["https://*.a.example"]}`, "wildcards inside an origin"},
		{"origin bad port", `{"allowOrigins":["https://a.example:0"]}`, "port must be"},
		{"origin bad ipv6", `{"allowOrigins":["http://[x0:0]:80"]}`, "allowOrigins[0]"},
		{"origin unbracketed colon", `{"allowOrigins":["aaaa://X0:0:1000"]}`, "allowOrigins[0]"},
		{"origin unicode", `{"allowOrigins":["https://쇼핑.example"]}`, "punycode"},
		{"origin duplicate", `{"allowOrigins":["https://A.example","https://a.example:443"]}`, "listed twice"},
		{"bad method", `{"allowOrigins":["*"],"allowMethods":["GE T"]}`, "allowMethods[0]"},
		{"method star mixed", `{"allowOrigins":["*"],"allowMethods":["GET","*"]}`, `allowMethods[1]: "*" must be the only`},
		{"bad header", `{"allowOrigins":["*"],"allowHeaders":["x:y"]}`, "allowHeaders[0]"},
		{"duplicate header", `{"allowOrigins":["*"],"allowHeaders":["X-A","x-a"]}`, "listed twice"},
		{"expose star with credentials", `{"allowOrigins":["https://a.example"],"allowCredentials":true,"exposeHeaders":["*"]}`, "exposeHeaders"},
		{"max age low", `{"allowOrigins":["*"],"maxAge":-2}`, "maxAge"},
		{"max age high", `{"allowOrigins":["*"],"maxAge":86401}`, "maxAge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(json.RawMessage(tt.config))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("no error, want one containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	typ, ok := abi.Default().Lookup(Type)
	if !ok || !IsCORS("cors") || IsCORS("rate-limit") {
		t.Fatal("cors is not registered or IsCORS is wrong")
	}
	if err := abi.Default().ValidatePlugin("/products", "GET", Type, "", json.RawMessage(exampleConfig)); err == nil {
		t.Error("a method binding was accepted; cors goes on a path")
	}
	if err := abi.Default().ValidatePlugin("/products", "", Type, "response", json.RawMessage(exampleConfig)); err == nil {
		t.Error("a response-phase binding was accepted")
	}
	if _, err := typ.New(abi.BuildContext{Path: "/products", Phase: abi.PhaseRequest}, json.RawMessage(exampleConfig)); err != nil {
		t.Fatal(err)
	}
}

// run drives p like the gateway: HandleRequest, then — when it passes the request on — a backend answering
// backend, and HandleResponse. It returns next and what the client gets.
func run(t testing.TB, p *Plugin, req memexchange.Request, backend memexchange.Response) (bool, memexchange.Response) {
	t.Helper()
	ex := memexchange.New(req)
	next, rc := p.HandleRequest(ex)
	if next {
		ex.SetNext()
		ex.SetBackendResponse(backend)
		ex.Enter()
		p.HandleResponse(ex, rc, false)
	}
	return next, ex.Response()
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestPreflight(t *testing.T) {
	const origin = "https://shop.example.com"
	tests := []struct {
		name   string
		config string
		header http.Header
		status uint32
		want   map[string]string // header → value; "" means absent
		code   string            // error code in the body
	}{
		{"allowed", exampleConfig,
			hdr("Origin", origin, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"),
			204, map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "GET, POST",
				"Access-Control-Allow-Headers": "content-type, x-nhn-apikey", "Access-Control-Allow-Credentials": "true",
				"Access-Control-Max-Age": "600", "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
				"Access-Control-Expose-Headers": ""}, ""},
		{"origin case-insensitive", exampleConfig,
			hdr("Origin", "HTTP://LOCALHOST:3000", "Access-Control-Request-Method", "GET"),
			204, map[string]string{"Access-Control-Allow-Origin": "http://localhost:3000"}, ""},
		{"origin not allowed", exampleConfig,
			hdr("Origin", "https://evil.example", "Access-Control-Request-Method", "GET"),
			403, map[string]string{"Access-Control-Allow-Origin": "", "Content-Type": "application/json"}, CodeOrigin},
		{"origin differs by port", exampleConfig,
			hdr("Origin", "https://shop.example.com:8443", "Access-Control-Request-Method", "GET"),
			403, nil, CodeOrigin},
		{"method not allowed", exampleConfig,
			hdr("Origin", origin, "Access-Control-Request-Method", "DELETE"),
			403, map[string]string{"Access-Control-Allow-Origin": ""}, CodeMethod},
		{"safelisted method always allowed", `{"allowOrigins":["https://shop.example.com"],"allowMethods":["PUT"]}`,
			hdr("Origin", origin, "Access-Control-Request-Method", "HEAD"),
			204, map[string]string{"Access-Control-Allow-Methods": "PUT", "Access-Control-Allow-Credentials": ""}, ""},
		{"default methods", `{"allowOrigins":["*"]}`,
			hdr("Origin", origin, "Access-Control-Request-Method", "GET"),
			204, map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD, POST",
				"Access-Control-Allow-Headers": "", "Access-Control-Max-Age": ""}, ""},
		{"wildcards echo", `{"allowOrigins":["*"],"allowMethods":["*"],"allowHeaders":["*"],"maxAge":-1}`,
			hdr("Origin", origin, "Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "x-a,x-b"),
			204, map[string]string{"Access-Control-Allow-Methods": "PATCH", "Access-Control-Allow-Headers": "x-a,x-b",
				"Access-Control-Max-Age": "0"}, ""},
		{"wildcard headers, none requested", `{"allowOrigins":["*"],"allowHeaders":["*"]}`,
			hdr("Origin", origin, "Access-Control-Request-Method", "GET"),
			204, map[string]string{"Access-Control-Allow-Headers": ""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.config)
			next, got := run(t, p, memexchange.Request{Method: "OPTIONS", URI: "/products", Header: tt.header},
				memexchange.Response{})
			if next {
				t.Fatal("a preflight was passed on to the backend")
			}
			if got.Status != tt.status {
				t.Errorf("status %d, want %d", got.Status, tt.status)
			}
			for name, want := range tt.want {
				if v := strings.Join(got.Header.Values(name), ", "); v != want {
					t.Errorf("%s: %q, want %q", name, v, want)
				}
			}
			if tt.code != "" && !strings.Contains(string(got.Body), `"code":"`+tt.code+`"`) {
				t.Errorf("body %s has no code %q", got.Body, tt.code)
			}
			if tt.code == "" && len(got.Body) != 0 {
				t.Errorf("body %q, want none", got.Body)
			}
		})
	}
}

func TestActualRequest(t *testing.T) {
	const origin = "https://shop.example.com"
	tests := []struct {
		name    string
		config  string
		method  string
		header  http.Header
		backend http.Header
		want    map[string]string
	}{
		{"allowed", exampleConfig, "GET", hdr("Origin", origin), hdr("Access-Control-Allow-Origin", "*"),
			map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
				"Access-Control-Expose-Headers": "x-request-id", "Vary": "Origin", "Access-Control-Allow-Methods": "",
				"Access-Control-Max-Age": ""}},
		{"any origin", `{"allowOrigins":["*"]}`, "POST", hdr("Origin", "https://x.example"), nil,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "",
				"Access-Control-Expose-Headers": ""}},
		{"not allowed", exampleConfig, "GET", hdr("Origin", "https://evil.example"), nil,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Credentials": "", "Vary": "Origin"}},
		{"no origin", exampleConfig, "GET", nil, hdr("X-Backend", "1"),
			map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin", "X-Backend": "1"}},
		{"vary merged", exampleConfig, "GET", hdr("Origin", origin), hdr("Vary", "Accept-Encoding"),
			map[string]string{"Vary": "Accept-Encoding, Origin"}},
		{"vary already names origin", exampleConfig, "GET", hdr("Origin", origin), hdr("Vary", "accept-encoding, ORIGIN"),
			map[string]string{"Vary": "accept-encoding, ORIGIN"}},
		{"vary star", exampleConfig, "GET", nil, hdr("Vary", "*"), map[string]string{"Vary": "*"}},
		{"options without request method", exampleConfig, "OPTIONS", hdr("Origin", origin), nil,
			map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.config)
			next, got := run(t, p, memexchange.Request{Method: tt.method, URI: "/products", Header: tt.header},
				memexchange.Response{Status: 201, Header: tt.backend, Body: []byte("ok")})
			if !next {
				t.Fatal("the request was not passed on")
			}
			if got.Status != 201 || string(got.Body) != "ok" {
				t.Errorf("response %d %q changed", got.Status, got.Body)
			}
			for name, want := range tt.want {
				if v := strings.Join(got.Header.Values(name), ", "); v != want {
					t.Errorf("%s: %q, want %q", name, v, want)
				}
			}
		})
	}
}

// TestGatewayError: a later plugin's own error (here a 429 written after next) still carries the CORS headers,
// so a browser script can read it.
func TestGatewayError(t *testing.T) {
	p := mustParse(t, exampleConfig)
	ex := memexchange.New(memexchange.Request{Header: hdr("Origin", "http://localhost:3000")})
	next, rc := p.HandleRequest(ex)
	if !next {
		t.Fatal("not passed on")
	}
	ex.SetNext()
	ex.RespondError(429, "rate_limited", "too many requests")
	ex.Enter()
	p.HandleResponse(ex, rc, true)
	got := ex.Response()
	if got.Status != 429 || got.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Fatalf("got %d %v", got.Status, got.Header)
	}
}

func TestNormalizeOrigin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://Shop.Example.com", "https://shop.example.com"},
		{"HTTPS://a.example:443/", "https://a.example"},
		{"http://a.example:80", "http://a.example"},
		{"http://a.example:443", "http://a.example:443"},
		{"http://[::1]:3000", "http://[::1]:3000"},
		{"chrome-extension://abcdef", "chrome-extension://abcdef"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := normalizeOrigin(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("normalizeOrigin(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzVaryCovers(f *testing.F) {
	for _, s := range []string{"Origin", "a, origin\x00", "*", "accept\x00b, c\x00", ",,\x00\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := varyCovers([]byte(s))
		want := false
		for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == 0 }) {
			v = strings.TrimSpace(v)
			if strings.EqualFold(v, "origin") || v == "*" {
				want = true
			}
		}
		if got != want {
			t.Fatalf("varyCovers(%q) = %v, want %v", s, got, want)
		}
	})
}

// BenchmarkCORS measures the plugin alone, from request to response, on one reused memexchange.Exchange. The
// request headers are added after Reset instead of passed in an http.Header, whose loading allocates beyond two
// names, so that the allocations reported are the plugin's own.
func BenchmarkCORS(b *testing.B) {
	p := mustParse(b, exampleConfig)
	cases := []struct {
		name, method string
		header       []string // name, value, …
	}{
		{"actual", "GET", []string{"Origin", "http://localhost:3000"}},
		{"preflight", "OPTIONS", []string{"Origin", "http://localhost:3000",
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"}},
		{"no-origin", "GET", nil},
		{"not-allowed", "GET", []string{"Origin", "https://evil.example"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ex := memexchange.New(memexchange.Request{})
			b.ReportAllocs()
			for b.Loop() {
				ex.Reset(memexchange.Request{Method: c.method})
				for i := 0; i < len(c.header); i += 2 {
					if err := ex.AddHeader(abi.HeaderRequest, []byte(c.header[i]), []byte(c.header[i+1])); err != nil {
						b.Fatal(err)
					}
				}
				next, rc := p.HandleRequest(ex)
				if next {
					p.HandleResponse(ex, rc, false)
				}
			}
		})
	}
}

// FuzzConfig: any config either fails or compiles into header values a response can carry.
func FuzzConfig(f *testing.F) {
	f.Add(exampleConfig)
	f.Add(`{"allowOrigins":["*"],"allowHeaders":["*"],"maxAge":-1}`)
	f.Add(`{"allowOrigins":["http://[::1]:3000"]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parse(json.RawMessage(raw))
		if err != nil {
			return
		}
		for _, v := range append([][]byte{p.allowMethods, p.allowHeaders, p.exposeHeaders, p.maxAge}, p.origins...) {
			if strings.ContainsAny(string(v), "\r\n\x00") {
				t.Fatalf("accepted %s: header value %q", raw, v)
			}
		}
		if p.anyOrigin && p.credentials {
			t.Fatalf("accepted %s: * with credentials", raw)
		}
		for _, o := range p.origins {
			if again, err := normalizeOrigin(string(o)); err != nil || again != string(o) {
				t.Fatalf("origin %q normalizes to %q, %v", o, again, err)
			}
		}
	})
}
