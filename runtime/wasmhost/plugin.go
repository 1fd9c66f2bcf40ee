package wasmhost

import (
	"bytes"
	"context"
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
	// CallTimeout bounds each guest call (the Runtime's CallTimeout when zero).
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

	idle     chan *instance             // free instances
	slots    []atomic.Pointer[instance] // every live instance by slot; req_ctx names a slot
	freeN    atomic.Int32               // len(free), read without the lock
	growing  atomic.Int32               // creations in progress
	mu       sync.Mutex                 // free, closed transitions
	free     []int                      // slots without an instance
	closed   atomic.Bool
	created  atomic.Int64 // instances ever created, for tests and metrics
	creating sync.WaitGroup
	finish   sync.Once
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
	in.guestCtx = uint32(ret >> 32)
	in.gen = (in.gen + 1) & genMask
	if in.gen == 0 {
		in.gen = 1
	}
	in.boundAt.Store(in.start.UnixNano())
	in.boundGen.Store(in.gen)
	return true, in.gen<<slotBits | uint32(in.slot+1)
}

// HandleResponse implements abi.Plugin: it runs the guest's handle_response in the instance HandleRequest bound
// to reqCtx, then returns the instance to the pool. A response-phase binding (reqCtx 0) borrows an instance for
// this call only.
func (p *Plugin) HandleResponse(ex abi.Exchange, reqCtx uint32, isError bool) {
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

// begin prepares in for a new request on ex.
func (p *Plugin) begin(in *instance, ex abi.Exchange) {
	in.guestCtx = 0
	in.callResp.Status, in.callResp.Headers, in.callResp.Body = 0, in.callResp.Headers[:0], in.callResp.Body[:0]
	if in.features != 0 {
		ex.EnableFeatures(in.features)
	}
}

// bound claims the instance reqCtx names, or returns nil when it is gone (reclaimed, or a stale reqCtx).
func (p *Plugin) bound(reqCtx uint32) *instance {
	slot := int(reqCtx&(1<<slotBits-1)) - 1
	if slot < 0 || slot >= len(p.slots) {
		return nil
	}
	in := p.slots[slot].Load()
	if in == nil || !in.boundGen.CompareAndSwap(reqCtx>>slotBits, 0) {
		return nil
	}
	return in
}

// acquire takes a free instance, waiting up to QueueTimeout; nil means none freed up in time.
func (p *Plugin) acquire() *instance {
	select {
	case in := <-p.idle:
		if len(p.idle) == 0 && p.freeN.Load() > 0 && p.growing.Load() == 0 {
			p.grow() // keep a spare ready for the next request
		}
		return in
	default:
	}
	if p.closed.Load() {
		return nil
	}
	p.reclaimStale()
	p.grow()
	t := time.NewTimer(p.queueTimeout)
	defer t.Stop()
	select {
	case in := <-p.idle:
		return in
	case <-t.C:
		return nil
	}
}

// put returns a healthy instance to the pool.
func (p *Plugin) put(in *instance) {
	if p.closed.Load() {
		p.destroy(in)
		return
	}
	p.idle <- in // never blocks: the channel holds every instance there can be
	if p.closed.Load() {
		p.drain() // Close ran meanwhile and may have missed it
	}
}

// failed discards in after a failed call, answers the request with a generic 500 and logs the reason.
func (p *Plugin) failed(in *instance, ex abi.Exchange, fn string, err error) {
	p.log.Error("plugin failed", "call", fn, logKeyRequestID, requestID(ex), "error", in.failure(err))
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

// grow starts creating one instance in the background when the pool has room.
func (p *Plugin) grow() {
	slot, ok := p.takeSlot()
	if !ok {
		return
	}
	p.growing.Add(1)
	p.creating.Add(1)
	go func() {
		defer p.creating.Done()
		defer p.growing.Add(-1)
		in, err := p.newInstance(slot)
		if err != nil {
			p.log.Error("cannot create a plugin instance", "error", err)
			p.freeSlot(slot)
			return
		}
		p.slots[slot].Store(in)
		p.put(in)
	}()
}

func (p *Plugin) takeSlot() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() || len(p.free) == 0 {
		return 0, false
	}
	slot := p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	p.freeN.Add(-1)
	return slot, true
}

func (p *Plugin) freeSlot(slot int) {
	p.mu.Lock()
	p.free = append(p.free, slot)
	p.freeN.Add(1)
	done := p.closed.Load() && len(p.free) == len(p.slots)
	p.mu.Unlock()
	if done {
		p.finish.Do(p.mod.release)
	}
}

// destroy closes in and frees its slot; it runs once per instance.
func (p *Plugin) destroy(in *instance) {
	if !in.dead.CompareAndSwap(false, true) {
		return
	}
	p.slots[in.slot].CompareAndSwap(in, nil)
	in.close()
	p.freeSlot(in.slot)
}

// reclaimStale takes back instances bound to a request for longer than leaseTimeout: a chain that never called
// HandleResponse must not shrink the pool forever. It runs only when the pool is exhausted.
func (p *Plugin) reclaimStale() {
	cutoff := time.Now().Add(-p.leaseTimeout).UnixNano()
	for i := range p.slots {
		in := p.slots[i].Load()
		if in == nil {
			continue
		}
		gen := in.boundGen.Load()
		if gen == 0 || in.boundAt.Load() > cutoff || !in.boundGen.CompareAndSwap(gen, 0) {
			continue
		}
		p.log.Error("reclaimed a plugin instance whose request never called handle_response",
			"after", p.leaseTimeout)
		p.destroy(in)
	}
}

// Instances reports how many instances are alive (idle or serving), creations in progress included.
func (p *Plugin) Instances() int { return len(p.slots) - int(p.freeN.Load()) }

// Close implements abi.Closer: it closes idle instances now and the others as their requests finish; the module
// is released when the last one is closed. New requests are answered 503.
func (p *Plugin) Close() error {
	p.mu.Lock()
	already := p.closed.Swap(true)
	done := len(p.free) == len(p.slots)
	p.mu.Unlock()
	if already {
		return nil
	}
	p.drain()
	p.creating.Wait()
	p.drain()
	if done {
		p.finish.Do(p.mod.release)
	}
	return nil
}

func (p *Plugin) drain() {
	for {
		select {
		case in := <-p.idle:
			p.destroy(in)
		default:
			return
		}
	}
}

// allowed applies AllowHosts to an http_call URL.
func (p *Plugin) allowed(url []byte) bool {
	if len(p.allow) == 0 {
		return true
	}
	host := hostOf(url)
	if len(host) == 0 {
		return false
	}
	hostOnly := host
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && !bytes.HasSuffix(host, []byte("]")) {
		hostOnly = host[:i]
	}
	for _, a := range p.allow {
		switch {
		case bytes.HasPrefix(a, []byte("*.")):
			if len(hostOnly) > len(a)-1 && equalFoldSuffix(hostOnly, a[1:]) {
				return true
			}
		case bytes.EqualFold(a, host), bytes.EqualFold(a, hostOnly):
			return true
		}
	}
	return false
}

func equalFoldSuffix(s, suffix []byte) bool {
	return len(s) >= len(suffix) && bytes.EqualFold(s[len(s)-len(suffix):], suffix)
}
