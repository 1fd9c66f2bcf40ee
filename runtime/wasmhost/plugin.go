package wasmhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/portico-gateway/portico/runtime/abi"
)

// PluginConfig configures a Plugin: a Module bound to one configuration.
type PluginConfig struct {
	// Name identifies the plugin in logs (the module's name when empty).
	Name string
	// Config is what the guest reads with get_config.
	Config []byte
	// MinInstances are created by NewPlugin and kept warm (default 1). MaxInstances bounds the pool (default
	// 2×GOMAXPROCS, at most MaxInstancesLimit). An instance serves one request at a time, from HandleRequest until
	// HandleResponse, so MaxInstances is also the number of requests in flight through the plugin.
	MinInstances, MaxInstances int
	// AllowHosts, when not empty, restricts http_call to these hosts before the Exchange applies its own
	// allow-list: "api.example.com" (any port), "api.example.com:8443", or "*.example.com" (subdomains).
	AllowHosts []string
	// CallTimeout bounds the time of each guest call, waiting for http_call excepted (the Runtime's CallTimeout
	// when zero). A guest past it is stopped within about a thousand loop iterations or calls.
	CallTimeout time.Duration
	// QueueTimeout is how long a request waits for a free instance before it is answered 503 (default 250 ms).
	QueueTimeout time.Duration
}

// MaxInstancesLimit bounds PluginConfig.MaxInstances: req_ctx handed to the chain packs the instance's slot in
// its low bits.
const MaxInstancesLimit = 1<<slotBits - 1

const (
	slotBits            = 10
	genMask             = 1<<(32-slotBits) - 1
	defaultQueueTimeout = 250 * time.Millisecond
	// leaseTimeout is how long an instance may stay bound to a request before the pool takes it back: far beyond
	// any backend timeout, it only catches chains that never call HandleResponse.
	leaseTimeout = 10 * time.Minute
)

// Plugin is a Module bound to a configuration, with a bounded pool of instances. It implements abi.Plugin and
// abi.Closer; it is safe for concurrent use.
//
// Instances are created off the request path: MinInstances by NewPlugin, more in the background when the pool
// runs low (up to MaxInstances), and replacements for discarded ones. A request takes an instance from the pool
// in HandleRequest and, when the guest passes it on, keeps it until HandleResponse, which runs the guest's
// handle_response in the same instance (its memory holds the request's state) and gives the instance back.
type Plugin struct {
	mod          *Module
	name         string
	config       []byte
	log          *slog.Logger
	modConfig    wazero.ModuleConfig
	callTimeout  time.Duration
	startTimeout time.Duration
	queueTimeout time.Duration
	leaseTimeout time.Duration
	allow        [][]byte
	min          int

	idle      chan *instance             // free instances
	slots     []atomic.Pointer[instance] // every live instance by slot; req_ctx names a slot
	freeN     atomic.Int32               // len(free), read without the lock
	growing   atomic.Int32               // creations in progress
	mu        sync.Mutex                 // free, closed transitions
	free      []int                      // slots without an instance
	reclaimMu sync.Mutex                 // serialises reclaimStale
	closed    atomic.Bool
	created   atomic.Int64 // instances ever created, for tests and metrics
	creating  sync.WaitGroup
	finish    sync.Once
}

var (
	_ abi.Plugin = (*Plugin)(nil)
	_ abi.Closer = (*Plugin)(nil)
)

// NewPlugin binds m to cfg and creates the warm instances. It fails when an instance cannot be created (a start
// function that traps, exits or overruns), with the reason.
func (m *Module) NewPlugin(ctx context.Context, cfg PluginConfig) (*Plugin, error) {
	if err := m.acquire(); err != nil {
		return nil, err
	}
	p := newPlugin(m, cfg)
	for range p.min {
		if err := ctx.Err(); err != nil {
			p.Close()
			return nil, err
		}
		slot, ok := p.takeSlot()
		if !ok {
			break
		}
		in, err := p.newInstance(slot)
		if err != nil {
			p.freeSlot(slot)
			p.Close()
			return nil, fmt.Errorf("wasmhost: plugin %q: %w", p.name, err)
		}
		p.slots[slot].Store(in)
		p.idle <- in
	}
	return p, nil
}

func newPlugin(m *Module, cfg PluginConfig) *Plugin {
	maxN := cfg.MaxInstances
	if maxN <= 0 {
		maxN = 2 * runtime.GOMAXPROCS(0)
	}
	maxN = min(maxN, MaxInstancesLimit)
	minN := cfg.MinInstances
	if minN <= 0 {
		minN = 1
	}
	minN = min(minN, maxN)
	name := cfg.Name
	if name == "" {
		name = m.name
	}
	p := &Plugin{
		mod:          m,
		name:         name,
		config:       bytes.Clone(cfg.Config),
		log:          m.rt.log.With(logKeyPlugin, name),
		callTimeout:  cfg.CallTimeout,
		startTimeout: m.rt.cfg.StartTimeout,
		queueTimeout: cfg.QueueTimeout,
		leaseTimeout: leaseTimeout,
		min:          minN,
		idle:         make(chan *instance, maxN),
		slots:        make([]atomic.Pointer[instance], maxN),
	}
	if p.callTimeout <= 0 {
		p.callTimeout = m.rt.cfg.CallTimeout
	}
	if p.queueTimeout <= 0 {
		p.queueTimeout = defaultQueueTimeout
	}
	for _, h := range cfg.AllowHosts {
		p.allow = append(p.allow, []byte(strings.ToLower(strings.TrimSpace(h))))
	}
	for i := maxN - 1; i >= 0; i-- {
		p.free = append(p.free, i)
	}
	p.freeN.Store(int32(maxN))
	p.modConfig = m.moduleConfig(newLogWriter(p.log, "stdout"), newLogWriter(p.log, "stderr"))
	return p
}

// HandleRequest implements abi.Plugin: it runs the guest's handle_request in a pooled instance. When the guest
// passes the request on, the instance stays bound to the request and req_ctx names it for HandleResponse.
func (p *Plugin) HandleRequest(ex abi.Exchange) (next bool, reqCtx uint32) {
	in := p.acquire()
	if in == nil {
		p.busy(ex)
		return false, 0
	}
	p.begin(in, ex)
	if err := in.call(in.handleRequest, ex); err != nil {
		p.failed(in, ex, exportHandleRequest, err)
		return false, 0
	}
	ret := in.stack[0]
	if uint32(ret) == 0 { // the guest answered the request itself
		p.put(in)
		return false, 0
	}
	if in.noResponse || in.features&abi.FeatureNoResponse != 0 {
		// The guest has nothing to do after the backend: the instance serves the next request meanwhile.
		p.put(in)
		return true, releasedCtx
	}
	in.guestCtx = uint32(ret >> 32)
	in.gen = (in.gen + 1) & genMask
	if in.gen == 0 {
		in.gen = 1
	}
	in.boundGen.Store(in.gen)
	return true, in.gen<<slotBits | uint32(in.slot+1)
}

// HandleResponse implements abi.Plugin: it runs the guest's handle_response in the instance HandleRequest bound
// to reqCtx, then returns the instance to the pool. A response-phase binding (reqCtx 0) borrows an instance for
// this call only.
func (p *Plugin) HandleResponse(ex abi.Exchange, reqCtx uint32, isError bool) {
	if reqCtx == releasedCtx {
		return
	}
	var in *instance
	if reqCtx == 0 {
		if in = p.acquire(); in == nil {
			p.busy(ex)
			return
		}
		p.begin(in, ex)
	} else if in = p.bound(reqCtx); in == nil {
		p.log.Error("plugin instance lost before handle_response", logKeyRequestID, requestID(ex))
		respondError(ex, 500, codePluginFailed, msgPluginFailed)
		return
	}
	in.stack[0], in.stack[1] = uint64(in.guestCtx), 0
	if isError {
		in.stack[1] = 1
	}
	if err := in.call(in.handleResponse, ex); err != nil {
		p.failed(in, ex, exportHandleResponse, err)
		return
	}
	p.put(in)
}

// releasedCtx is the req_ctx of a request whose instance went back to the pool after handle_request (the guest
// enabled FeatureNoResponse): slot 0 never names an instance.
const releasedCtx = 1 << slotBits

// begin prepares in for a new request on ex.
func (p *Plugin) begin(in *instance, ex abi.Exchange) {
	in.guestCtx = 0
	in.noResponse = false
	in.callResp.Status, in.callResp.Headers, in.callResp.Body = 0, in.callResp.Headers[:0], in.callResp.Body[:0]
	if in.features != 0 {
		ex.EnableFeatures(in.features)
	}
}

// failed discards in after a failed call, answers the request with a generic 500 and logs the reason.
func (p *Plugin) failed(in *instance, ex abi.Exchange, fn string, err error) {
	attrs := []any{"call", fn, logKeyRequestID, requestID(ex), "error", in.failure(err)}
	var f *guestFault
	if errors.As(err, &f) {
		attrs = append(attrs, "hostFunction", f.fn) // the guest broke a rule: name the call it made
	}
	p.log.Error("plugin failed", attrs...)
	p.destroy(in)
	p.grow() // replace it, off the request path
	respondError(ex, 500, codePluginFailed, msgPluginFailed)
	if in.wroteResponse {
		if _, ok := ex.(ErrorResponder); !ok {
			p.log.Warn("the failed call had written the response body; the error body was appended to it",
				logKeyRequestID, requestID(ex))
		}
	}
}

func (p *Plugin) busy(ex abi.Exchange) {
	p.log.Warn("no plugin instance free", "waited", p.queueTimeout, "instances", len(p.slots),
		logKeyRequestID, requestID(ex))
	respondError(ex, 503, codePluginBusy, msgPluginBusy)
}
