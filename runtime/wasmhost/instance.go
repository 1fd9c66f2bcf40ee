package wasmhost

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/portico-gateway/portico/runtime/abi"
)

// instance is one instantiated guest. It serves one request at a time, from HandleRequest to HandleResponse, and
// owns everything a call needs, allocated once: the call stack, the context handed to wazero (through which host
// functions find the instance), the deadline timer and the host functions' scratch buffers.
type instance struct {
	p              *Plugin
	mod            api.Module
	handleRequest  api.Function
	handleResponse api.Function
	interrupt      api.MutableGlobal // see interrupt.go
	slot           int

	ctx     callContext
	stack   [2]uint64 // handle_request: 0 params, 1 result; handle_response: 2 params, 0 results
	timer   *time.Timer
	start   time.Time // when the running call's deadline was armed
	left    time.Duration
	expired atomic.Bool // the deadline fired: the guest was interrupted, or will be at its next check

	features abi.Features // enabled during _start/_initialize: they hold for every request

	// Per request.
	ex            abi.Exchange  // during a guest call
	gen           uint32        // lease generation, bumped for every request bound to the instance
	boundGen      atomic.Uint32 // the generation of the request holding the instance until HandleResponse; 0: none
	boundAt       atomic.Int64  // when it was bound (Unix ns), to reclaim instances a chain never released
	guestCtx      uint32        // the guest's req_ctx
	wroteResponse bool          // the guest wrote the response body during the current call
	scratch       []byte
	callReq       abi.CallRequest
	callResp      abi.CallResponse

	dead atomic.Bool // discarded: never reused
}

// callContext is the context.Context of every call into an instance, one per instance. wazero passes it to host
// functions unchanged, so current() finds the instance with a type assertion: no per-call context, no lookup.
// Deadlines do not go through it (see interrupt.go).
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
	in.timer = time.AfterFunc(math.MaxInt64, in.expire)
	in.timer.Stop()

	m := p.mod
	mod, err := m.rt.wr.InstantiateModule(&in.ctx, m.compiled, p.modConfig)
	if err != nil {
		return nil, startError(m.name, "instantiation", err, false)
	}
	in.mod = mod
	in.interrupt = mod.ExportedGlobal(exportInterrupt).(api.MutableGlobal)
	for _, name := range []string{exportWasmStart, m.start} {
		fn := mod.ExportedFunction(name)
		if name == "" || fn == nil {
			continue
		}
		in.arm(p.startTimeout)
		err := fn.CallWithStack(&in.ctx, in.stack[:])
		fired := !in.timer.Stop()
		if err != nil || fired || mod.IsClosed() {
			in.close()
			return nil, startError(m.name, name, err, fired)
		}
	}
	p.created.Add(1)
	in.handleRequest = mod.ExportedFunction(exportHandleRequest)
	in.handleResponse = mod.ExportedFunction(exportHandleResponse)
	return in, nil
}

// expire runs on the timer's goroutine when a call overruns: the guest traps at its next loop iteration or
// function call.
func (in *instance) expire() {
	in.expired.Store(true)
	in.interrupt.Set(1)
}

// arm starts the deadline of a call.
func (in *instance) arm(d time.Duration) {
	in.start = time.Now()
	in.left = d
	in.timer.Reset(d)
}

// pauseDeadline stops the clock while the host waits on the network for the guest (http_call).
func (in *instance) pauseDeadline() {
	if in.timer.Stop() {
		in.left -= time.Since(in.start)
	}
}

func (in *instance) resumeDeadline() {
	if in.expired.Load() {
		return
	}
	in.start = time.Now()
	in.timer.Reset(max(in.left, 0))
}

// call runs fn with the instance's stack under the call deadline. Any error means the instance must be
// discarded; a deadline that fires as the call returns counts as exceeded, since the interrupt is now set for
// good.
func (in *instance) call(fn api.Function, ex abi.Exchange) error {
	in.ex, in.wroteResponse = ex, false
	in.arm(in.p.callTimeout)
	err := fn.CallWithStack(&in.ctx, in.stack[:])
	fired := !in.timer.Stop()
	in.ex = nil
	if err == nil && fired {
		err = errDeadline
	}
	return err
}

// failure explains a failed call for the log.
func (in *instance) failure(err error) error {
	if in.expired.Load() || errors.Is(err, errDeadline) {
		return &deadlineError{limit: in.p.callTimeout, err: err}
	}
	return err
}

type deadlineError struct {
	limit time.Duration
	err   error
}

func (e *deadlineError) Error() string {
	return "exceeded its deadline of " + e.limit.String() + " (interrupted: " + e.err.Error() + ")"
}
func (e *deadlineError) Unwrap() error { return e.err }

// close releases the guest's memory. The Plugin accounts for it (destroy).
func (in *instance) close() {
	in.timer.Stop()
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
