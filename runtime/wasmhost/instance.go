package wasmhost

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/portico-gateway/portico/runtime/abi"
)

// instance is one instantiated guest. It serves one request at a time, from HandleRequest to HandleResponse, and
// owns everything a call needs, allocated once: the call stack, the context handed to wazero (through which host
// functions find the instance), the deadline and the host functions' scratch buffers.
type instance struct {
	p              *Plugin
	mod            api.Module
	handleRequest  api.Function
	handleResponse api.Function
	slot           int

	ctx   callContext
	stack [2]uint64 // handle_request: 0 params, 1 result; handle_response: 2 params, 0 results

	// The running call's deadline, checked by yield (see interrupt.go): the clock starts at the call's first
	// yield, which costs nothing to calls that never loop long, and stops while the host waits for http_call.
	limit   time.Duration
	started time.Time
	expired bool

	features abi.Features // enabled during _start/_initialize: they hold for every request

	// Per request.
	ex            abi.Exchange  // during a guest call
	gen           uint32        // lease generation, bumped for every request bound to the instance
	boundGen      atomic.Uint32 // the generation of the request holding the instance until HandleResponse; 0: none
	seenGen       uint32        // reclaimStale's last sighting of a bound generation, under Plugin.reclaimMu
	seenAt        int64         // and when (Unix ns)
	guestCtx      uint32        // the guest's req_ctx
	wroteResponse bool          // the guest wrote the response body during the current call
	noResponse    bool          // the guest enabled FeatureNoResponse during the current request
	scratch       []byte
	callReq       abi.CallRequest
	callResp      abi.CallResponse

	dead atomic.Bool // discarded: never reused
}

// callContext is the context.Context of every call into an instance, one per instance. wazero passes it to host
// functions unchanged, so current() finds the instance with a type assertion: no per-call context, no lookup.
// Deadlines do not go through it but through yield (see interrupt.go).
type callContext struct{ in *instance }

func (c *callContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *callContext) Done() <-chan struct{}       { return nil }
func (c *callContext) Err() error                  { return nil }
func (c *callContext) Value(any) any               { return nil }

// current returns the instance of the running guest call.
func current(ctx context.Context) *instance {
	if c, ok := ctx.(*callContext); ok {
		return c.in
	}
	panic(&guestFault{fn: "host", err: errNoRequest}) // a host function called through a foreign context
}

// exchange returns the request's Exchange, or faults when the guest calls a request function during start.
func (in *instance) exchange(fn string) abi.Exchange {
	if in.ex == nil {
		fault(fn, errNoRequest)
	}
	return in.ex
}

func (in *instance) logEnabled(level abi.LogLevel) bool {
	if in.ex != nil {
		return in.ex.LogEnabled(level)
	}
	return level < abi.LogNone && in.p.log.Enabled(context.Background(), slogLevel(level))
}

// newInstance instantiates the plugin's module and runs its start functions (the former start section, then
// _initialize or _start) under the start deadline.
func (p *Plugin) newInstance(slot int) (*instance, error) {
	in := &instance{p: p, slot: slot, scratch: make([]byte, 0, 256)}
	in.ctx.in = in
	m := p.mod
	mod, err := m.rt.wr.InstantiateModule(&in.ctx, m.compiled, p.modConfig)
	if err != nil {
		return nil, startError(m.name, "instantiation", err, false)
	}
	in.mod = mod
	for _, name := range []string{exportWasmStart, m.start} {
		fn := mod.ExportedFunction(name)
		if name == "" || fn == nil {
			continue
		}
		err := in.run(fn, nil, p.startTimeout)
		if err != nil || mod.IsClosed() {
			in.close()
			return nil, startError(m.name, name, err, errors.Is(err, errDeadline))
		}
	}
	p.created.Add(1)
	in.handleRequest = mod.ExportedFunction(exportHandleRequest)
	in.handleResponse = mod.ExportedFunction(exportHandleResponse)
	return in, nil
}

// call runs fn with the instance's stack on behalf of ex, under the call deadline. Any error means the instance
// must be discarded.
func (in *instance) call(fn api.Function, ex abi.Exchange) error {
	in.wroteResponse = false
	return in.run(fn, ex, in.p.callTimeout)
}

func (in *instance) run(fn api.Function, ex abi.Exchange, limit time.Duration) error {
	in.ex, in.limit, in.started = ex, limit, time.Time{}
	err := fn.CallWithStack(&in.ctx, in.stack[:])
	in.ex = nil
	return err
}

// yield is portico_runtime.yield, called by instrumented guests every yieldEvery loop iterations or calls. Being
// Go, it lets the scheduler and the GC preempt the guest's goroutine; it traps the guest past its deadline.
func yield(ctx context.Context, _ api.Module, _ []uint64) {
	in := current(ctx)
	now := time.Now()
	switch {
	case in.started.IsZero():
		in.started = now
	case now.Sub(in.started) > in.limit:
		in.expired = true
		fault("yield", errDeadline)
	}
}

// pauseDeadline and resumeDeadline stop the clock while the host waits on the network for the guest
// (http_call): waiting is not the guest's time.
func (in *instance) pauseDeadline() time.Time { return time.Now() }

func (in *instance) resumeDeadline(paused time.Time) {
	if !in.started.IsZero() {
		in.started = in.started.Add(time.Since(paused))
	}
}

// failure explains a failed call for the log.
func (in *instance) failure(err error) error {
	if in.expired || errors.Is(err, errDeadline) {
		return &deadlineError{limit: in.p.callTimeout, err: err}
	}
	return err
}

type deadlineError struct {
	limit time.Duration
	err   error
}

func (e *deadlineError) Error() string {
	return "exceeded its deadline of " + e.limit.String() + ": " + e.err.Error()
}
func (e *deadlineError) Unwrap() error { return e.err }

// close releases the guest's memory. The Plugin accounts for it (destroy).
func (in *instance) close() {
	if in.mod != nil {
		_ = in.mod.Close(context.Background())
	}
}

func slogLevel(l abi.LogLevel) slog.Level {
	switch l {
	case abi.LogDebug:
		return slog.LevelDebug
	case abi.LogInfo:
		return slog.LevelInfo
	case abi.LogWarn:
		return slog.LevelWarn
	}
	return slog.LevelError
}
