package wasmhost

import (
	"encoding/binary"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

func TestPoolBusyAnswers503(t *testing.T) {
	r, logs := newTestRuntime(t, Config{})
	p := newTestPlugin(t, r, "roundtrip", PluginConfig{Config: []byte("c"), MaxInstances: 1,
		QueueTimeout: 20 * time.Millisecond})

	first := memexchange.New(memexchange.Request{})
	next, reqCtx := p.HandleRequest(first) // binds the only instance until HandleResponse
	if !next {
		t.Fatal("the guest did not pass the request on")
	}

	second := memexchange.New(memexchange.Request{})
	start := time.Now()
	if next, _ := p.HandleRequest(second); next {
		t.Fatal("a request went on without an instance")
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("answered after %v, before the queue timeout", waited)
	}
	wantPluginError(t, second.Response(), 503, codePluginBusy)
	if !strings.Contains(logs.String(), "no plugin instance free") {
		t.Errorf("log:\n%s", logs)
	}

	first.SetNext()
	first.SetBackendResponse(okBackend())
	p.HandleResponse(first, reqCtx, false)

	third := memexchange.New(memexchange.Request{})
	if !serve(p, third, okBackend()) || third.Response().Status != 200 {
		t.Fatalf("after the release: %d %s", third.Response().Status, third.Response().Body)
	}
}

func TestHandleResponseModes(t *testing.T) {
	r, _ := newTestRuntime(t, Config{})

	t.Run("is_error is passed on", func(t *testing.T) {
		p := newTestPlugin(t, r, "roundtrip", PluginConfig{Config: []byte("c")})
		ex := memexchange.New(memexchange.Request{})
		_, reqCtx := p.HandleRequest(ex)
		ex.SetNext()
		ex.SetBackendResponse(memexchange.Response{Status: 502})
		p.HandleResponse(ex, reqCtx, true)
		b := &body{t, ex.Response().Body}
		if got, isError := b.i32(), b.i32(); got != 42 || isError != 1 {
			t.Fatalf("handle_response(%d, %d), want (42, 1)", got, isError)
		}
	})

	t.Run("a response-phase binding gets req_ctx 0 in a borrowed instance", func(t *testing.T) {
		p := newTestPlugin(t, r, "roundtrip", PluginConfig{Config: []byte("r"), MaxInstances: 1})
		ex := memexchange.New(memexchange.Request{})
		ex.SetNext()
		ex.SetBackendResponse(memexchange.Response{Status: 200, Body: []byte("x")})
		p.HandleResponse(ex, 0, false)
		if got := ex.Response(); got.Status != 201 || !strings.HasPrefix(string(got.Body), "wrapped:x") {
			t.Fatalf("response = %d %q", got.Status, got.Body)
		}
		if len(p.idle) != 1 {
			t.Fatal("the borrowed instance was not returned")
		}
	})

	t.Run("an unknown or stale req_ctx is a 500", func(t *testing.T) {
		p := newTestPlugin(t, r, "roundtrip", PluginConfig{Config: []byte("c")})
		ex := memexchange.New(memexchange.Request{})
		_, reqCtx := p.HandleRequest(ex)
		ex.SetNext()
		p.HandleResponse(ex, reqCtx, false)
		for _, stale := range []uint32{reqCtx, 1<<slotBits | 1023, 7} {
			again := memexchange.New(memexchange.Request{})
			again.SetNext()
			p.HandleResponse(again, stale, false)
			wantPluginError(t, again.Response(), 500, codePluginFailed)
		}
	})
}

func TestStaleLeaseIsReclaimed(t *testing.T) {
	r, logs := newTestRuntime(t, Config{})
	p := newTestPlugin(t, r, "roundtrip", PluginConfig{Config: []byte("c"), MaxInstances: 1,
		QueueTimeout: 10 * time.Millisecond})
	p.leaseTimeout = time.Millisecond

	abandoned := memexchange.New(memexchange.Request{})
	_, reqCtx := p.HandleRequest(abandoned) // the chain "forgets" HandleResponse
	first := memexchange.New(memexchange.Request{})
	if serve(p, first, okBackend()) { // the pool is exhausted: the scan notes the stuck instance
		t.Fatal("served without a free instance")
	}
	time.Sleep(5 * time.Millisecond)

	ex := memexchange.New(memexchange.Request{})
	if !serve(p, ex, okBackend()) {
		t.Fatalf("no instance after the lease expired: %d %s", ex.Response().Status, ex.Response().Body)
	}
	if !strings.Contains(logs.String(), "reclaimed a plugin instance") {
		t.Errorf("log:\n%s", logs)
	}
	abandoned.SetNext()
	p.HandleResponse(abandoned, reqCtx, false) // too late: its instance is gone
	wantPluginError(t, abandoned.Response(), 500, codePluginFailed)
}

func TestCloseWithRequestsInFlight(t *testing.T) {
	r, _ := newTestRuntime(t, Config{})
	m, err := r.Compile(t.Context(), "roundtrip", guest(t, "roundtrip"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.NewPlugin(t.Context(), PluginConfig{Config: []byte("c"), MinInstances: 3, MaxInstances: 3})
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Instances(); n != 3 {
		t.Fatalf("%d warm instances, want 3", n)
	}
	inFlight := memexchange.New(memexchange.Request{})
	_, reqCtx := p.HandleRequest(inFlight)

	if err := m.Close(); err != nil { // the deployment is replaced: module first, then its plugins
		t.Fatal(err)
	}
	if _, err := m.NewPlugin(t.Context(), PluginConfig{}); err == nil {
		t.Error("NewPlugin on a closed module succeeded")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if n := p.Instances(); n != 1 {
		t.Fatalf("%d instances after Close, want the one in flight", n)
	}
	if m.closedState() {
		t.Fatal("the module closed under a request in flight")
	}

	inFlight.SetNext()
	inFlight.SetBackendResponse(okBackend())
	p.HandleResponse(inFlight, reqCtx, false) // still served by its instance
	if b := (&body{t, inFlight.Response().Body}); b.i32() != 42 {
		t.Fatal("the request in flight lost its instance")
	}
	if n := p.Instances(); n != 0 {
		t.Fatalf("%d instances after the last request, want 0", n)
	}
	if !m.closedState() {
		t.Fatal("the module was not closed after its last plugin")
	}

	late := memexchange.New(memexchange.Request{})
	if next, _ := p.HandleRequest(late); next {
		t.Fatal("a closed plugin served a request")
	}
	wantPluginError(t, late.Response(), 503, codePluginBusy)
}

// TestPoolHammer runs many concurrent requests through a small pool; run it with -race.
func TestPoolHammer(t *testing.T) {
	r, _ := newTestRuntime(t, Config{})
	const maxInstances = 3
	p := newTestPlugin(t, r, "roundtrip", PluginConfig{Config: []byte("c"), MaxInstances: maxInstances,
		QueueTimeout: 10 * time.Second})
	const workers, rounds = 8, 100
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ex := memexchange.New(memexchange.Request{})
			for range rounds {
				ex.Reset(memexchange.Request{})
				if !serve(p, ex, okBackend()) {
					t.Errorf("request failed: %d %s", ex.Response().Status, ex.Response().Body)
					return
				}
				if got := ex.Response().Body; len(got) != 8 || binary.LittleEndian.Uint32(got) != 42 {
					t.Errorf("handle_response reported %q, want req_ctx 42", got)
					return
				}
				if n := p.Instances(); n > maxInstances {
					t.Errorf("%d instances, the maximum is %d", n, maxInstances)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func (m *Module) closedState() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}
