package wasmhost

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// plainExchange hides memexchange's RespondError: the host must then answer through Exchange calls alone.
type plainExchange struct{ abi.Exchange }

// wantPluginError checks a gateway error answer: the status, a JSON body with the code, no guest detail.
func wantPluginError(t *testing.T, resp memexchange.Response, status uint32, code string) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status = %d, want %d (body %q)", resp.Status, status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content-type = %q", ct)
	}
	var e struct {
		Error struct{ Code, Message, RequestID string }
	}
	if err := json.Unmarshal(resp.Body, &e); err != nil || e.Error.Code != code {
		t.Fatalf("body %q: code %q, %v; want code %q", resp.Body, e.Error.Code, err, code)
	}
	for _, leak := range []string{"wasm", "unreachable", "stack", "exit", "memory", "deadline"} {
		if strings.Contains(strings.ToLower(string(resp.Body)), leak) {
			t.Errorf("the client sees guest detail %q: %s", leak, resp.Body)
		}
	}
}

// waitFor polls cond for up to 5 s: replacements are created in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestGuestFailures runs a request that makes the guest fail, then a good one on the same plugin: the failed
// request gets a generic 500, the log the reason, the instance is replaced, and the next request succeeds.
func TestGuestFailures(t *testing.T) {
	r, logs := newTestRuntime(t, Config{})
	tests := []struct {
		name    string
		xcase   string // the guest's case, selected by the x-case request header
		timeout time.Duration
		wantLog string
		plain   bool // answer through plain Exchange calls
	}{
		{name: "trap in handle_request", xcase: "u", wantLog: "unreachable"},
		{name: "trap in handle_response", xcase: "U", wantLog: "unreachable"},
		{name: "endless loop hits the deadline", xcase: "l", timeout: 50 * time.Millisecond,
			wantLog: "exceeded its deadline of 50ms"},
		{name: "name pointer outside memory", xcase: "o", wantLog: "set_header_value: pointer and length outside"},
		{name: "buffer outside memory", xcase: "O", wantLog: "get_uri: pointer and length outside"},
		{name: "set_uri after next", xcase: "a", wantLog: "set_uri: abi: the request cannot be changed after"},
		{name: "trailer without the feature", xcase: "T", wantLog: "set_header_value: abi: feature not enabled"},
		{name: "header value with NUL", xcase: "V", wantLog: "set_header_value: abi: invalid argument"},
		{name: "proc_exit", xcase: "e", wantLog: "exit_code(3)"},
		{name: "trap answered without ErrorResponder", xcase: "u", wantLog: "unreachable", plain: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPlugin(t, r, "roundtrip", PluginConfig{Name: "failing", Config: []byte("n"),
				MinInstances: 1, MaxInstances: 1, CallTimeout: tt.timeout})
			created := p.created.Load()
			var failed *instance
			for i := range p.slots {
				if in := p.slots[i].Load(); in != nil {
					failed = in
				}
			}

			ex := memexchange.New(memexchange.Request{Header: http.Header{"X-Case": {tt.xcase}},
				Vars: map[string]string{"request.id": "req-fail"}})
			var chain abi.Exchange = ex
			if tt.plain {
				chain = plainExchange{ex}
			}
			next, reqCtx := p.HandleRequest(chain)
			if next {
				ex.SetNext()
				ex.SetBackendResponse(okBackend())
				ex.Enter()
				p.HandleResponse(chain, reqCtx, false)
			}
			wantPluginError(t, ex.Response(), 500, codePluginFailed)
			if !strings.Contains(logs.String(), tt.wantLog) || !strings.Contains(logs.String(), "plugin=failing") {
				t.Errorf("log lacks %q with the plugin name:\n%s", tt.wantLog, logs)
			}
			if tt.plain && !strings.Contains(string(ex.Response().Body), `"requestId":"req-fail"`) {
				t.Errorf("body lacks the request ID: %s", ex.Response().Body)
			}

			if !failed.dead.Load() {
				t.Error("the failed instance was not discarded")
			}
			waitFor(t, "a replacement instance", func() bool { return p.created.Load() > created })
			if n := p.Instances(); n != 1 {
				t.Errorf("%d instances alive, want 1", n)
			}

			ok := memexchange.New(memexchange.Request{})
			if !serve(p, ok, okBackend()) || ok.Response().Status != 200 || string(ok.Response().Body) != "backend" {
				t.Errorf("the next request failed: %d %s", ok.Response().Status, ok.Response().Body)
			}
		})
	}
}

func TestStartFailures(t *testing.T) {
	r, _ := newTestRuntime(t, Config{StartTimeout: 200 * time.Millisecond})
	tests := []struct {
		guest   string
		wantErr string
	}{
		{"start_trap", "unreachable"},
		{"command_exit", "_start exited with code 0: a command's main must return without exiting"},
	}
	for _, tt := range tests {
		t.Run(tt.guest, func(t *testing.T) {
			m, err := r.Compile(t.Context(), tt.guest, guest(t, tt.guest))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			_, err = m.NewPlugin(t.Context(), PluginConfig{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewPlugin error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestCommandModuleRunsStart(t *testing.T) {
	r, _ := newTestRuntime(t, Config{})
	p := newTestPlugin(t, r, "command", PluginConfig{})
	ex := memexchange.New(memexchange.Request{})
	serve(p, ex, okBackend())
	wantHeader(t, ex.Response().Header, "X-Started", "1")
}

func TestMemoryLimitConfigurable(t *testing.T) {
	r, _ := newTestRuntime(t, Config{MemoryLimitPages: 32})
	p := newTestPlugin(t, r, "roundtrip", PluginConfig{Config: []byte("g")})
	ex := memexchange.New(memexchange.Request{})
	serve(p, ex, okBackend())
	if pages := (&body{t, ex.Response().Body}).i32(); pages != 32 {
		t.Fatalf("memory grew to %d pages, want 32", pages)
	}
}
