package memexchange_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/abitest"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/kv"
)

// harness drives a memexchange.Exchange for the conformance suite.
type harness struct{ ex *memexchange.Exchange }

func (h harness) Exchange() abi.Exchange { return h.ex }
func (h harness) Enter()                 { h.ex.Enter() }

func (h harness) Next(resp abitest.Response) {
	h.ex.SetNext()
	h.ex.SetBackendResponse(memexchange.Response(resp))
}

func (h harness) Backend() abitest.Request { return abitest.Request(h.ex.Request()) }
func (h harness) Client() abitest.Response { return abitest.Response(h.ex.Response()) }

func TestConformance(t *testing.T) {
	abitest.Run(t, func(t *testing.T, req abitest.Request) abitest.Harness {
		return harness{memexchange.New(memexchange.Request(req))}
	})
}

func TestRespondError(t *testing.T) {
	ex := memexchange.New(memexchange.Request{Vars: map[string]string{"request.id": `id"1`}})
	_ = ex.SetHeader(abi.HeaderResponse, []byte("x-kept"), []byte("1"))
	_ = ex.WriteBody(abi.BodyResponse, []byte("partial"))
	ex.RespondError(500, "plugin_failed", "the plugin failed")
	got := ex.Response()
	want := `{"error":{"code":"plugin_failed","message":"the plugin failed","requestId":"id\"1"}}`
	if got.Status != 500 || string(got.Body) != want || got.Header.Get("Content-Type") != "application/json" ||
		got.Header.Get("X-Kept") != "1" {
		t.Fatalf("response = %d %v %s", got.Status, got.Header, got.Body)
	}
}

func TestExtension(t *testing.T) {
	ex := memexchange.New(memexchange.Request{})
	req := &abi.CallRequest{Method: []byte("GET"), URL: []byte("http://x.test/")}
	if err := ex.HTTPCall(req, &abi.CallResponse{}); !errors.Is(err, abi.ErrNotAllowed) {
		t.Errorf("HTTPCall without Call = %v", err)
	}
	ex.Call = func(req *abi.CallRequest, resp *abi.CallResponse) error {
		resp.Status, resp.Body = 204, append(resp.Body, req.URL...)
		return nil
	}
	var resp abi.CallResponse
	if err := ex.HTTPCall(req, &resp); err != nil || resp.Status != 204 || string(resp.Body) != "http://x.test/" {
		t.Errorf("HTTPCall = %v, %+v", err, resp)
	}

	for _, tt := range []struct {
		name       string
		key, value []byte
		ttl        time.Duration
	}{
		{"empty key", nil, []byte("v"), 0},
		{"key too long", make([]byte, kv.MaxKeyLen), []byte("v"), 0},
		{"value too big", []byte("k"), make([]byte, kv.MaxValueLen+1), 0},
		{"negative ttl", []byte("k"), []byte("v"), -time.Second},
	} {
		if err := ex.KVSet(tt.key, tt.value, tt.ttl); !errors.Is(err, abi.ErrInvalid) {
			t.Errorf("KVSet %s = %v, want ErrInvalid", tt.name, err)
		}
	}

	// Exchanges sharing a store share the plugin's state; another namespace does not see it.
	store := kv.NewMemory(0)
	a, b, other := memexchange.New(memexchange.Request{}), memexchange.New(memexchange.Request{}),
		memexchange.New(memexchange.Request{})
	a.KV, b.KV, other.KV = store, store, store
	other.Namespace = []byte("other-plugin")
	_ = a.KVSet([]byte("k"), []byte("v"), 0)
	if v, ok := b.KVGet([]byte("k"), nil); !ok || string(v) != "v" {
		t.Errorf("shared store: %q, %v", v, ok)
	}
	if _, ok := other.KVGet([]byte("k"), nil); ok {
		t.Error("another namespace sees the plugin's key")
	}
}

func TestLogs(t *testing.T) {
	ex := memexchange.New(memexchange.Request{})
	ex.LogLevel = abi.LogWarn
	ex.Log(abi.LogInfo, []byte("dropped"))
	ex.Log(abi.LogError, []byte("kept"))
	if logs := ex.Logs(); len(logs) != 1 || logs[0].Message != "kept" {
		t.Fatalf("logs = %+v", logs)
	}
}

// TestReuseAllocatesNothing checks that a reused Exchange serves a header-rewriting request without allocating,
// so that benchmarks through it measure the plugin, not the exchange.
func TestReuseAllocatesNothing(t *testing.T) {
	ex := memexchange.New(memexchange.Request{})
	name, value := []byte("x-plugin"), []byte("wasm")
	run := func() {
		ex.Reset(memexchange.Request{})
		ex.Enter()
		_ = ex.SetHeader(abi.HeaderRequest, name, value)
		ex.SetNext()
		ex.SetBackendResponse(memexchange.Response{})
	}
	run()
	if allocs := testing.AllocsPerRun(100, run); allocs != 0 {
		t.Fatalf("%v allocations per request", allocs)
	}
}
