// Package assemblyscript tests the AssemblyScript SDK: test/sdk-check.ts, which calls every helper, runs on
// Portico's real WASM host (runtime/wasmhost) against an in-memory exchange, and what it reports is compared with
// what the host holds. test/abi-check.ts (checked by examples/plugins/build-all.sh) covers the import signatures,
// test/abort-check.ts the abort handler.
//
// Without Node.js >= 20 and npm the tests skip, unless PORTICO_REQUIRE_TOOLCHAINS is set (for CI, which installs
// them). The first run installs the pinned compiler with npm into node_modules/.
package assemblyscript

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/wasmhost"
)

// wantReport is what sdk-check reports for sdkRequest, the same for every SDK.
const wantReport = `features=3
method=POST
uri=/p?q=1
proto=HTTP/1.1
source=192.0.2.1:1234
x-long=5000
x-multi=a
x-multi=b
x-absent=0
names-has-x-multi=1
body=hello world
request.id-found=1
request.id=req-123
long-found=1
long-len=5000
nope-found=0
kv-found=1
kv=v1
kv-missing-found=0
counter=3
call-denied=-1
call=201
call-headers=x-method: POST
x-got: a: b

call-body=echo:hi
version=1
now-positive=1
log-debug=1
req-ctx=7
is-error=0
backend-status=200
backend-header=yes
backend-body=backend says hi
`

func sdkRequest() memexchange.Request {
	return memexchange.Request{
		Method:     "POST",
		URI:        "/p?q=1",
		SourceAddr: "192.0.2.1:1234",
		Header: http.Header{
			"X-Long":   {strings.Repeat("L", 5000)},
			"X-Multi":  {"a", "b"},
			"X-Remove": {"gone"},
			"X-Uni":    {"héllo✓"},
		},
		Body: []byte("hello world"),
		Vars: map[string]string{"request.id": "req-123", "long": strings.Repeat("x", 5000)},
	}
}

// echoCall answers http_call for http://allowed.test/echo only.
func echoCall(req *abi.CallRequest, resp *abi.CallResponse) error {
	if string(req.URL) != "http://allowed.test/echo" {
		return abi.ErrNotAllowed
	}
	resp.Status = 201
	resp.Headers = append(resp.Headers, "x-method: "+string(req.Method)+"\n"...)
	resp.Headers = append(resp.Headers, "x-got: "+strings.TrimSpace(string(req.Headers))+"\n"...)
	resp.Body = append(append(resp.Body, "echo:"...), req.Body...)
	return nil
}

// runSDKCheck runs the module through a request and a backend response, checks what the backend received, and
// returns the report (the response body).
func runSDKCheck(t *testing.T, wasm []byte, config string) string {
	t.Helper()
	ctx := context.Background()
	logs := &bytes.Buffer{}
	r, err := wasmhost.New(ctx, wasmhost.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if err := wasmhost.Validate(ctx, wasm); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	m, err := r.Compile(ctx, "sdk-check", wasm)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	defer m.Close()
	p, err := m.NewPlugin(ctx, wasmhost.PluginConfig{Config: []byte(config), MaxInstances: 1})
	if err != nil {
		t.Fatalf("NewPlugin: %v\n%s", err, logs)
	}
	defer p.Close()

	var report string
	for i := range 3 { // the instance is reused
		ex := memexchange.New(sdkRequest())
		ex.Call = echoCall
		ex.Enter()
		next, reqCtx := p.HandleRequest(ex)
		if !next {
			resp := ex.Response()
			t.Fatalf("run %d: the request did not reach the backend: %d %s\n%s", i, resp.Status, resp.Body, logs)
		}
		ex.SetNext()
		ex.SetBackendResponse(memexchange.Response{
			Status: 200,
			Header: http.Header{"X-Backend": {"yes"}},
			Body:   []byte("backend says hi"),
		})
		p.HandleResponse(ex, reqCtx, false)

		got := ex.Request()
		if got.Method != "PUT" || got.URI != "/rewritten?x=1" || string(got.Body) != "new body" ||
			strings.Join(got.Header.Values("x-added"), ",") != "a,b" || got.Header.Get("x-remove") != "" ||
			strings.Join(got.Header.Values("x-multi"), ",") != "one" {
			t.Fatalf("run %d: the backend received %s %s %v %q", i, got.Method, got.URI, got.Header, got.Body)
		}
		resp := ex.Response()
		if resp.Status != 201 || resp.Header.Get("content-type") != "text/plain" {
			t.Fatalf("run %d: response %d %v %s\n%s", i, resp.Status, resp.Header, resp.Body, logs)
		}
		if l := ex.Logs(); len(l) != 1 || l[0].Message != "sdk-check: request done" {
			t.Fatalf("run %d: logs %+v", i, l)
		}
		if i > 0 && string(resp.Body) != report {
			t.Fatalf("run %d reported differently:\n%s\nthen:\n%s", i, report, resp.Body)
		}
		report = string(resp.Body)
	}
	return report
}

// toolchainMissing skips (or, with PORTICO_REQUIRE_TOOLCHAINS, fails) the test.
func toolchainMissing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("PORTICO_REQUIRE_TOOLCHAINS") != "" {
		t.Fatal(why)
	}
	t.Skip("skipping: " + why)
}

func run(t *testing.T, dir, name string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

// build compiles test/NAME.ts with the flags examples/plugins/assemblyscript/add-header/build.sh uses, installing
// the pinned compiler (package.json) on first use.
func build(t *testing.T, name string) []byte {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			toolchainMissing(t, tool+" not found: AssemblyScript needs Node.js >= 20 with npm")
		}
	}
	out, err := run(t, ".", "node", "-p", "process.versions.node.split('.')[0] >= 20")
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		toolchainMissing(t, "AssemblyScript needs Node.js >= 20")
	}
	if _, err := os.Stat("node_modules/.bin/asc"); err != nil {
		if out, err := run(t, ".", "npm", "install", "--no-audit", "--no-fund", "--no-package-lock"); err != nil {
			t.Fatalf("npm install: %v\n%s", err, out)
		}
	}
	wasm := filepath.Join(t.TempDir(), name+".wasm")
	args := []string{"test/" + name + ".ts", "-o", wasm, "--runtime", "incremental", "-O3",
		"--use", "abort=assembly/index/handleAbort"}
	if out, err := run(t, ".", "node_modules/.bin/asc", args...); err != nil {
		t.Fatalf("asc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	b, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSDK(t *testing.T) {
	want := wantReport + "unicode=héllo✓\n" + `config=n=42 s=aé o={"k": [1, "}"]}` + "\n"
	got := runSDKCheck(t, build(t, "sdk-check"), `{"n": 42, "s": "a\u00e9", "o": {"k": [1, "}"]}, "t": true}`)
	if got != want {
		t.Fatalf("sdk-check reported:\n%s\nwant:\n%s", got, want)
	}
}

func TestAbort(t *testing.T) {
	ctx := context.Background()
	r, err := wasmhost.New(ctx, wasmhost.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	m, err := r.Compile(ctx, "abort-check", build(t, "abort-check"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	p, err := m.NewPlugin(ctx, wasmhost.PluginConfig{MaxInstances: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ex := memexchange.New(memexchange.Request{})
	ex.Enter()
	if next, _ := p.HandleRequest(ex); next {
		t.Fatal("the request went on after abort")
	}
	if status := ex.Response().Status; status != 500 {
		t.Fatalf("status %d, want 500", status)
	}
	want := "abort: abort-check failed on purpose at test/abort-check.ts:5:"
	if l := ex.Logs(); len(l) != 1 || l[0].Level != abi.LogError || !strings.HasPrefix(l[0].Message, want) {
		t.Fatalf("logs %+v, want one error starting %q", l, want)
	}
}
