package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/http-wasm/http-wasm-host-go/tck"

	"github.com/portico-gateway/portico/runtime/admin"
)

// toolOrSkip finds a build tool; without it the test skips, except in CI, which installs it.
func toolOrSkip(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" || os.Getenv("PORTICO_REQUIRE_TOOLCHAINS") != "" {
			t.Fatalf("%s is required: %v", name, err)
		}
		t.Skipf("skipping: %s not installed", name)
	}
	return path
}

var goExamples sync.Map // name → []byte

// goExample builds examples/plugins/go/<name> from source for wasip1, once per test binary.
func goExample(t *testing.T, name string) []byte {
	t.Helper()
	if b, ok := goExamples.Load(name); ok {
		return b.([]byte)
	}
	out := filepath.Join(t.TempDir(), name+".wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, ".")
	cmd.Dir = filepath.Join("..", "examples", "plugins", "go", name)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	goExamples.Store(name, b)
	return b
}

func wat(t *testing.T, file string) []byte {
	t.Helper()
	wat2wasm := toolOrSkip(t, "wat2wasm")
	out := filepath.Join(t.TempDir(), "m.wasm")
	if msg, err := exec.Command(wat2wasm, file, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm %s: %v\n%s", file, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func putModule(t *testing.T, c *admin.Client, name string, wasm []byte) {
	t.Helper()
	if _, err := c.PutModule(context.Background(), name, wasm); err != nil {
		t.Fatalf("upload module %s: %v", name, err)
	}
}

// TestWASMPluginAsInTheContract runs the contract file's wasm plugin: the Go add-header example, uploaded as a
// module and bound to GET /edge.
func TestWASMPluginAsInTheContract(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	putModule(t, c, "add-header", goExample(t, "add-header"))
	applyYAML(t, c, `
services:
  - id: shop0001
    name: shop
    resources:
      /edge:
        methods:
          GET:
            backend: { type: http, path: /api/edge }
            plugins:
              - type: wasm
                config:
                  module: add-header
                  config: { header: x-from-wasm, value: "yes" }
    stages:
      - { name: test, backendUrl: "`+be.URL+`" }
`)
	deploy(t, c, "shop", "test", "")
	for i := 0; i < 3; i++ { // instances are reused across requests
		r := call(t, n.GatewayAddrs()[0], shopTest, "GET", "/edge")
		expectStatus(t, r, 200)
		if got := be.last(t).Header.Get("X-From-Wasm"); got != "yes" {
			t.Fatalf("request %d: backend saw x-from-wasm %q", i, got)
		}
	}
	// A module in use cannot be removed.
	if err := c.DeleteModule(context.Background(), "add-header"); err == nil || !strings.Contains(err.Error(), "in_use") {
		t.Fatalf("deleting a module in use: %v", err)
	}
}

// TestParityBuiltinAndWASM runs one table of cases against the built-in request-header plugin and against the Go
// add-header example doing the same, and requires identical results at the backend.
func TestParityBuiltinAndWASM(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	putModule(t, c, "add-header", goExample(t, "add-header"))
	cases := []struct {
		name, header, value string
		incoming            []string
	}{
		{"adds a header", "x-added", "v1", nil},
		{"replaces an existing header", "x-existing", "new", []string{"X-Existing", "old"}},
		{"replaces every value of a repeated header", "x-multi", "one", []string{"X-Multi", "a", "X-Multi", "b"}},
		{"value with spaces and symbols", "x-sym", "a b;c=d,e", nil},
	}
	var resources strings.Builder
	for i, tc := range cases {
		fmt.Fprintf(&resources, `
      /builtin/c%d:
        methods:
          GET:
            backend: { type: http, path: /seen }
            plugins: [{ type: request-header, config: { set: { %q: %q } } }]
      /wasm/c%d:
        methods:
          GET:
            backend: { type: http, path: /seen }
            plugins: [{ type: wasm, config: { module: add-header, config: { header: %q, value: %q } } }]`,
			i, tc.header, tc.value, i, tc.header, tc.value)
	}
	applyYAML(t, c, `
services:
  - id: pari0001
    name: parity
    resources:`+resources.String()+`
    stages:
      - { name: test, backendUrl: "`+be.URL+`" }
`)
	deploy(t, c, "parity", "test", "")
	gw := n.GatewayAddrs()[0]
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var seen [2]http.Header
			for j, kind := range []string{"builtin", "wasm"} {
				hdr := append([]string{}, tc.incoming...)
				hdr = append(hdr, "X-Request-Id", "parity")
				expectStatus(t, call(t, gw, "pari0001-test.localhost", "GET", fmt.Sprintf("/%s/c%d", kind, i), hdr...), 200)
				seen[j] = be.last(t).Header
			}
			if a, b := seen[0].Values(tc.header), seen[1].Values(tc.header); strings.Join(a, "|") != strings.Join(b, "|") || len(a) != 1 || a[0] != tc.value {
				t.Fatalf("built-in gave %q, WASM gave %q, want [%q]", a, b, tc.value)
			}
			for name := range seen[0] {
				if name == "X-Forwarded-For" || name == "Accept-Encoding" {
					continue
				}
				if strings.Join(seen[0].Values(name), "|") != strings.Join(seen[1].Values(name), "|") {
					t.Errorf("header %s differs: built-in %q, WASM %q", name, seen[0].Values(name), seen[1].Values(name))
				}
			}
		})
	}
}

// TestWASMFaultsAreContained: a guest that traps, loops forever or grows memory without bound gets a generic 500
// with no trap text, and the next request through the same plugin succeeds.
func TestWASMFaultsAreContained(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	putModule(t, c, "faulty", wat(t, "testdata/faulty.wat"))
	applyYAML(t, c, `
services:
  - id: faul0001
    name: faulty
    resources:
      /f/{what}:
        plugins: [{ type: wasm, config: { module: faulty, maxInstances: 2 } }]
        methods:
          GET: { backend: { type: http, path: /ok } }
    stages:
      - { name: test, backendUrl: "`+be.URL+`" }
`)
	deploy(t, c, "faulty", "test", "")
	gw := n.GatewayAddrs()[0]
	for _, what := range []string{"trap", "loop", "grow", "trap", "loop", "grow"} {
		r := call(t, gw, "faul0001-test.localhost", "GET", "/f/"+what)
		expectStatus(t, r, 500)
		if code, _ := gatewayError(t, r); code != "plugin_failed" {
			t.Fatalf("%s: code %q", what, code)
		}
		if strings.Contains(strings.ToLower(r.Body), "unreachable") || strings.Contains(r.Body, "wasm") {
			t.Fatalf("%s: the response leaks guest details: %q", what, r.Body)
		}
		expectStatus(t, call(t, gw, "faul0001-test.localhost", "GET", "/f/ok"), 200)
	}
}

// TestTCK runs the http-wasm TCK against a running Portico: the TCK's guest as a WASM plugin on every path of a
// stage, in front of the TCK's backend.
func TestTCK(t *testing.T) {
	backend := tck.StartBackend("127.0.0.1:0")
	t.Cleanup(backend.Close) // tck.Run is parallel: it runs after this function returns
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	putModule(t, c, "tck", tck.GuestWASM)
	applyYAML(t, c, `
services:
  - id: tck00001
    name: tck
    resources:
      /:
        plugins: [{ type: wasm, config: { module: tck } }]
        methods:
          ANY: { backend: { type: http, path: / } }
      /{proxy+}:
        methods:
          ANY: { backend: { type: http, path: "/${request.path.proxy+}" } }
    stages:
      - { name: "", backendUrl: "`+backend.URL+`" }
`)
	deploy(t, c, "tck", "default", "")
	gw := n.GatewayAddrs()[0]
	// The TCK addresses the stage by URL; every connection goes to the gateway, the URL's host is the stage host.
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, gw)
	}}}
	_, port, _ := net.SplitHostPort(gw)
	t.Run("tck", func(t *testing.T) { tck.Run(t, client, "http://tck00001.localhost:"+port) })
}
