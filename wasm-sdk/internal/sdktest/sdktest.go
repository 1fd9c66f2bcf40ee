// Package sdktest holds what the tests of the C and AssemblyScript SDKs share: each SDK's test/sdk-check module
// calls every helper and runs on Portico's real WASM host (runtime/wasmhost) against an in-memory exchange, and
// what it reports is compared with what the host holds. The report is the same for every SDK (WantReport).
package sdktest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/wasmhost"
)

// WantReport is what sdk-check reports for SDKRequest, the same for every SDK.
const WantReport = `features=3
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

func SDKRequest() memexchange.Request {
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

// EchoCall answers http_call for http://allowed.test/echo only.
func EchoCall(req *abi.CallRequest, resp *abi.CallResponse) error {
	if string(req.URL) != "http://allowed.test/echo" {
		return abi.ErrNotAllowed
	}
	resp.Status = 201
	resp.Headers = append(resp.Headers, "x-method: "+string(req.Method)+"\n"...)
	resp.Headers = append(resp.Headers, "x-got: "+strings.TrimSpace(string(req.Headers))+"\n"...)
	resp.Body = append(append(resp.Body, "echo:"...), req.Body...)
	return nil
}

// RunSDKCheck runs the module through a request and a backend response, checks what the backend received, and
// returns the report (the response body).
func RunSDKCheck(t *testing.T, wasm []byte, config string) string {
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
		ex := memexchange.New(SDKRequest())
		ex.Call = EchoCall
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

// ToolchainMissing skips (or, with PORTICO_REQUIRE_TOOLCHAINS, fails) the test.
func ToolchainMissing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("PORTICO_REQUIRE_TOOLCHAINS") != "" {
		t.Fatal(why)
	}
	t.Skip("skipping: " + why)
}

// Run runs name with args in dir and returns its combined output.
func Run(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}
