package deploy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/portico-gateway/portico/runtime/admin"
	"github.com/portico-gateway/portico/runtime/pipeline"
	"github.com/portico-gateway/portico/runtime/usage"
	"github.com/portico-gateway/portico/runtime/wasmhost"
	"github.com/portico-gateway/portico/storage"
)

// Hosts names the stage hosts: {serviceId}.{domain} for the default stage and {serviceId}-{stage}.{domain}
// otherwise, each with an optional "{region}-" prefix (the seed's kr1-xxxxx-test.api… form).
type Hosts struct {
	Domain string // default "localhost", so that *.localhost resolves to loopback without DNS
	Region string
}

// StageHost returns the host name of a stage.
func (h Hosts) StageHost(serviceID, stage string) string {
	name := serviceID
	if stage != "" {
		name += "-" + stage
	}
	if h.Region != "" {
		name = h.Region + "-" + name
	}
	domain := h.Domain
	if domain == "" {
		domain = "localhost"
	}
	return name + "." + domain
}

// Config configures a Runtime.
type Config struct {
	Store    *storage.Store
	Gateway  *pipeline.Gateway
	Compiler *Compiler
	Hosts    Hosts
	// Listen are the gateway's listen addresses, used to print stage URLs.
	Listen  []string
	Version string
	Logger  *slog.Logger
	// Usage enforces API keys and usage plans (nil: none are enforced).
	Usage *usage.Guard
	// CloseDelay bounds how long a replaced stage keeps its plugin resources (WASM pools) for the requests still
	// running on it: it is closed when they are done, at the latest after CloseDelay (default 90 s, longer than
	// the default backend timeout).
	CloseDelay time.Duration
}

// Runtime keeps the data plane serving exactly the store's live deployments. It implements admin.Runtime.
type Runtime struct {
	cfg       Config
	log       *slog.Logger
	startedAt time.Time

	mu       sync.Mutex                // serialises Reload; never taken by requests
	compiled map[int64]*pipeline.Stage // by deployment ID: unchanged stages are reused across reloads
	status   []admin.LiveStage
	retiring map[*pipeline.Stage]*time.Timer
	closed   bool
}

var (
	_ admin.Runtime         = (*Runtime)(nil)
	_ admin.ModuleValidator = (*Runtime)(nil)
	_ admin.UsageRuntime    = (*Runtime)(nil)
)

// ValidateModule checks an uploaded WASM module: known imports with the right signatures, the exports a plugin
// needs.
func (rt *Runtime) ValidateModule(ctx context.Context, wasm []byte) error {
	return wasmhost.Validate(ctx, wasm)
}

// ReloadKeys makes the gateway enforce the store's current API keys and usage plans (no deploy needed).
func (rt *Runtime) ReloadKeys(ctx context.Context) error {
	if rt.cfg.Usage == nil {
		return nil
	}
	return rt.cfg.Usage.Reload(ctx)
}

// KeyUsage is the live quota count of a key on a stage.
func (rt *Runtime) KeyUsage(keyID, stageID int64) (int64, time.Time, bool) {
	if rt.cfg.Usage == nil {
		return 0, time.Time{}, false
	}
	return rt.cfg.Usage.Usage(keyID, stageID)
}

// New returns a Runtime; call Reload to load the live deployments.
func New(cfg Config) *Runtime {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Runtime{cfg: cfg, log: cfg.Logger, startedAt: time.Now(), compiled: map[int64]*pipeline.Stage{},
		retiring: map[*pipeline.Stage]*time.Timer{}}
}

// Check compiles a snapshot without serving it.
func (rt *Runtime) Check(snap storage.Snapshot) error {
	st, err := rt.cfg.Compiler.Compile(0, snap)
	if err != nil {
		return err
	}
	return st.Close()
}

// Reload reads the live deployments and custom domains, compiles what is new, and swaps the routing table in one
// atomic step. A deployment that no longer compiles is left out (and reported) rather than taking others down.
func (rt *Runtime) Reload(ctx context.Context) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var (
		live    []storage.Deployment
		domains []storage.Domain
	)
	err := rt.cfg.Store.View(ctx, func(tx *storage.Tx) error {
		var err error
		if live, err = tx.LiveDeployments(ctx); err != nil {
			return err
		}
		domains, err = tx.ListDomains(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("reload: read live deployments: %w", err)
	}
	hosts := make(map[string]pipeline.HostEntry, len(live)+len(domains))
	byStage := make(map[[2]string]*pipeline.Stage, len(live))
	compiled := make(map[int64]*pipeline.Stage, len(live))
	var status []admin.LiveStage
	var errs []error
	for _, d := range live {
		st := rt.compiled[d.ID]
		if st == nil {
			if d.Snapshot == nil {
				errs = append(errs, fmt.Errorf("deployment %d has no snapshot", d.ID))
				continue
			}
			st, err = rt.cfg.Compiler.Compile(d.ID, *d.Snapshot)
			if err != nil {
				errs = append(errs, fmt.Errorf("deployment %d of %s stage %q: %w", d.ID, d.ServiceID, d.StageName, err))
				rt.log.Error("live deployment does not compile; its stage is not served",
					"deploymentId", d.ID, "service", d.ServiceID, "stage", d.StageName, "error", err)
				continue
			}
		}
		compiled[d.ID] = st
		host := rt.cfg.Hosts.StageHost(d.ServiceID, d.StageName)
		hosts[host] = pipeline.HostEntry{Stage: st}
		byStage[[2]string{d.ServiceID, d.StageName}] = st
		status = append(status, admin.LiveStage{ServiceID: d.ServiceID, StageName: d.StageName,
			DeploymentID: d.ID, URL: rt.url(host)})
	}
	for _, dom := range domains {
		if st := byStage[[2]string{dom.ServiceID, dom.StageName}]; st != nil {
			hosts[dom.Host] = pipeline.HostEntry{Stage: st, BasePath: dom.BasePath}
		}
	}
	sort.Slice(status, func(i, j int) bool {
		if status[i].ServiceID != status[j].ServiceID {
			return status[i].ServiceID < status[j].ServiceID
		}
		return status[i].StageName < status[j].StageName
	})
	rt.cfg.Gateway.Swap(pipeline.NewTable(hosts))
	if mods := rt.cfg.Compiler.Modules; mods != nil {
		pinned := map[string]bool{}
		for _, d := range live {
			if d.Snapshot != nil {
				for _, m := range d.Snapshot.Modules {
					pinned[m.Digest] = true
				}
			}
		}
		mods.Prune(pinned)
	}
	for id, st := range rt.compiled {
		if compiled[id] == nil {
			rt.retire(st)
		}
	}
	rt.compiled = compiled
	rt.status = status
	return errors.Join(errs...)
}

// retire closes a stage that is no longer served once the requests still running on it are done. Closing it at
// once would pull WASM instances from under those requests; never closing it would leak them (Traefik's lesson).
// A request holds the table it started with for a few instructions before it counts itself in, so the stage is
// watched from a short grace period on, and closed when idle — at the latest after CloseDelay.
func (rt *Runtime) retire(st *pipeline.Stage) {
	limit := rt.cfg.CloseDelay
	if limit <= 0 {
		limit = 90 * time.Second
	}
	const grace, poll = time.Second, 100 * time.Millisecond
	deadline := time.Now().Add(limit)
	var check func()
	check = func() {
		rt.mu.Lock()
		_, pending := rt.retiring[st]
		if pending && st.InFlight() > 0 && time.Now().Before(deadline) {
			rt.retiring[st] = time.AfterFunc(poll, check)
			rt.mu.Unlock()
			return
		}
		delete(rt.retiring, st)
		rt.mu.Unlock()
		if pending {
			rt.closeStage(st)
		}
	}
	rt.retiring[st] = time.AfterFunc(grace, check)
}

func (rt *Runtime) closeStage(st *pipeline.Stage) {
	if err := st.Close(); err != nil {
		rt.log.Warn("closing a replaced stage", "service", st.ServiceID, "stage", st.Name, "error", err)
	}
}

// Close releases every compiled stage's plugins, the served ones and those retiring, once the gateway has stopped
// serving: the WASM runtime they run on is closed after them.
func (rt *Runtime) Close() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return
	}
	rt.closed = true
	for st, timer := range rt.retiring {
		timer.Stop()
		rt.closeStage(st)
	}
	rt.retiring = map[*pipeline.Stage]*time.Timer{}
	for _, st := range rt.compiled {
		rt.closeStage(st)
	}
	rt.compiled = map[int64]*pipeline.Stage{}
}

// Status reports what is served.
func (rt *Runtime) Status() admin.RuntimeStatus {
	rt.mu.Lock()
	stages := append([]admin.LiveStage(nil), rt.status...)
	rt.mu.Unlock()
	if stages == nil {
		stages = []admin.LiveStage{}
	}
	domain := rt.cfg.Hosts.Domain
	if domain == "" {
		domain = "localhost"
	}
	return admin.RuntimeStatus{
		Version:   rt.cfg.Version,
		StartedAt: rt.startedAt,
		Listen:    append([]string{}, rt.cfg.Listen...),
		Domain:    domain,
		Ready:     rt.cfg.Gateway.Load() != nil,
		Stages:    stages,
	}
}

// URL returns the URL clients use for a host, with the first listen address's port.
func (rt *Runtime) url(host string) string {
	if len(rt.cfg.Listen) == 0 {
		return "http://" + host
	}
	_, port, err := net.SplitHostPort(rt.cfg.Listen[0])
	if err != nil || port == "80" {
		return "http://" + host
	}
	return "http://" + host + ":" + port
}
