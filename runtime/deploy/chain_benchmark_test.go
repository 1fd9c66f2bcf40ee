package deploy_test

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	_ "github.com/portico-gateway/portico/builtins" // the built-in plugin types
	"github.com/portico-gateway/portico/internal/allocguard"
	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/deploy"
	"github.com/portico-gateway/portico/runtime/kv"
	"github.com/portico-gateway/portico/runtime/pipeline"
	"github.com/portico-gateway/portico/runtime/proxy"
	"github.com/portico-gateway/portico/runtime/usage"
	"github.com/portico-gateway/portico/storage"
)

// BenchmarkFullChain measures the stage checks and plugins of DESIGN §7's "full chain" — API key + usage plan, JWT
// RS256 (warm token cache), rate limit, CORS and two header plugins — against the same route without them. Both
// answer with a mock backend, so the difference is the chain's own cost.
func BenchmarkFullChain(b *testing.B) {
	for _, name := range []string{"bare", "full-chain"} {
		b.Run(name, func(b *testing.B) {
			serve := fullChainServer(b, name == "full-chain", "")
			b.ReportAllocs()
			b.ResetTimer()
			refused := 0
			for b.Loop() {
				if serve() != 200 {
					refused++
				}
			}
			if refused > 0 {
				b.Fatalf("%d requests were refused: the measurement would include error responses", refused)
			}
		})
	}
}

// BenchmarkFullChainHTTP is BenchmarkFullChain through a fasthttp backend on loopback, with the request parsed
// from the wire: the chain's cost where it is paid, with the extra bytes it carries (a JWT, an API key and an
// Origin in; CORS, RateLimit-* and cache-control fields out) through the backend call and the response.
func BenchmarkFullChainHTTP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("hello from the backend") }}
	go srv.Serve(ln)
	defer srv.Shutdown()
	for _, name := range []string{"bare", "full-chain"} {
		b.Run(name, func(b *testing.B) {
			serve := fullChainServer(b, name == "full-chain", "http://"+ln.Addr().String())
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if status := serve(); status != 200 {
					b.Fatalf("status %d", status)
				}
			}
		})
	}
}

// TestFullChainAllocations keeps the request path of the full chain free of allocations: only the benchmark's own
// RequestCtx.Init allocates (one remote-address copy). A plugin API that allocates per call (an iterator closure
// that escapes, a pool that misses) shows up here long before it shows up under load as GC time.
func TestFullChainAllocations(t *testing.T) {
	allocguard.SkipUnderRace(t)
	if testing.Short() {
		t.Skip("generates an RSA key")
	}
	for _, name := range []string{"bare", "full-chain"} {
		serve := fullChainServer(t, name == "full-chain", "")
		for range 2048 { // every client address once: the rate limiter makes a bucket for each new one
			serve()
		}
		if got := testing.AllocsPerRun(200, func() { serve() }); got > 1 {
			t.Errorf("%s: %.1f allocations per request, want at most 1 (RequestCtx.Init's)", name, got)
		}
	}
}

// fullChainServer compiles the bare or the full-chain stage and returns a function serving one request through it
// (from one of 1 024 client addresses) and returning its status. The first request, which warms the caches, must
// succeed. With backendURL the method proxies there and the request is parsed from the wire, as the server does;
// without, it answers with a mock response.
func fullChainServer(tb testing.TB, withChain bool, backendURL string) func() int {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	token, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": "https://id.example.com",
		"exp": time.Now().Add(time.Hour).Unix()}).SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	const apiKey = "bench-key-0123456789abcdef0123"

	guard := usage.New(usage.Config{FlushInterval: -1})
	guard.Set(usage.Table{Keys: []usage.Key{{ID: 1, Active: true, Hashes: [2][32]byte{sha256.Sum256([]byte(apiKey))},
		Grants: []usage.Grant{{ServiceID: "svc00001", Stage: "test", StageID: 1, PlanID: 1, RPS: 0,
			Period: usage.PeriodNone}}}}})
	compiler := &deploy.Compiler{Transport: proxy.NewTransport(proxy.Options{}), Plugins: abi.Default(),
		KV: kv.NewMemory(1000), Services: map[string]any{usage.ServiceKey: guard},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}

	mock := storage.Method{HTTPMethod: "GET", Backend: storage.Backend{Type: storage.BackendMock, Status: 200, Body: "ok"}}
	if backendURL != "" {
		mock.Backend = storage.Backend{Type: storage.BackendHTTP, Path: "/api/items/${request.path.id}"}
	} else {
		backendURL = "http://127.0.0.1:1"
	}
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	full := storage.Snapshot{ServiceID: "svc00001", StageName: "test", BackendURL: backendURL,
		Resources: storage.ResourceTree{Resources: []storage.Resource{{Path: "/items/{id}",
			Plugins: []storage.PluginBinding{
				{ID: 1, Type: "cors", Phase: "request", Config: raw(map[string]any{"allowOrigins": []string{"https://shop.example.com"}, "allowMethods": []string{"GET"}})},
				{ID: 2, Type: "request-header", Phase: "request", Config: raw(map[string]any{"set": map[string]string{"x-client-ip": "${request.clientIp}"}})},
				{ID: 3, Type: "response-header", Phase: "response", Config: raw(map[string]any{"set": map[string]string{"cache-control": "no-store"}})},
			},
			Methods: []storage.Method{mock}}}},
		Settings: storage.StageSettings{
			"/": {Settings: storage.Settings{
				Auth:      raw(map[string]any{"type": "jwt", "algorithm": "RS256", "publicKeyPem": pubPEM}),
				RateLimit: raw(map[string]any{"rps": 100000, "burst": 100000, "key": map[string]string{"type": "ip"}}),
			}},
			"/items/{id}": {Settings: storage.Settings{APIKey: json.RawMessage(`true`)}},
		},
	}
	bare := storage.Snapshot{ServiceID: "svc00001", StageName: "test", BackendURL: backendURL,
		Resources: storage.ResourceTree{Resources: []storage.Resource{{Path: "/items/{id}", Methods: []storage.Method{mock}}}}}

	snap := bare
	if withChain {
		snap = full
	}
	st, err := compiler.Compile(1, snap)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	var template, req fasthttp.Request
	wire := "GET /items/42 HTTP/1.1\r\nHost: svc00001-test.localhost\r\nAuthorization: Bearer " + token +
		"\r\nx-nhn-apikey: " + apiKey + "\r\nOrigin: https://shop.example.com\r\nAccept: */*\r\n\r\n"
	if err := template.Read(bufio.NewReader(strings.NewReader(wire))); err != nil {
		tb.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	addr := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 5555}
	// Requests come from 1 024 clients, as real traffic does; the per-IP limit never refuses one.
	clients := make([]netip.Addr, 1024)
	for i := range clients {
		clients[i] = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
	}
	n := 0
	serve := func() int {
		template.CopyTo(&req)
		ctx.Init(&req, addr, nil)
		r := pipeline.AcquireRequest(&ctx)
		r.NewRequestID()
		r.ClientIP = clients[n%len(clients)]
		n++
		st.Serve(r, "")
		pipeline.ReleaseRequest(r)
		return ctx.Response.StatusCode()
	}
	if status := serve(); status != 200 { // also warms the token cache
		tb.Fatalf("status %d: %s", status, ctx.Response.Body())
	}
	return serve
}
