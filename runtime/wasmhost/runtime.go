package wasmhost

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Defaults of Config.
const (
	DefaultMemoryLimitPages = 256 // 16 MiB
	DefaultCallTimeout      = 100 * time.Millisecond
	DefaultStartTimeout     = 5 * time.Second
)

// Config configures a Runtime.
type Config struct {
	// CacheDir holds compiled machine code across restarts (<data>/wasm-cache); empty keeps it in memory only.
	CacheDir string
	// MemoryLimitPages caps every instance's memory in 64 KiB pages (DefaultMemoryLimitPages when zero). A module
	// whose minimum is above it does not compile; memory.grow beyond it fails in the guest.
	MemoryLimitPages uint32
	// CallTimeout bounds each guest call (handle_request, handle_response) unless a plugin sets its own
	// (DefaultCallTimeout when zero). Time a guest spends waiting for http_call does not count.
	CallTimeout time.Duration
	// StartTimeout bounds a new instance's _initialize or _start (DefaultStartTimeout when zero).
	StartTimeout time.Duration
	// Logger receives guest logs, guest stdout/stderr and failures (slog.Default() when nil).
	Logger *slog.Logger
}

// Runtime is the process's one wazero runtime: the compiler engine, the compilation cache and the host modules
// (http_handler, portico, wasi_snapshot_preview1) every guest links against. It is safe for concurrent use.
type Runtime struct {
	wr    wazero.Runtime
	cache wazero.CompilationCache
	cfg   Config
	log   *slog.Logger
}

// New creates the runtime.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	if cfg.MemoryLimitPages == 0 {
		cfg.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if cfg.MemoryLimitPages > 65536 {
		return nil, fmt.Errorf("wasmhost: memory limit of %d pages is above the 4 GiB of wasm32", cfg.MemoryLimitPages)
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Runtime{cfg: cfg, log: cfg.Logger}

	// Not WithCloseOnContextDone: deadlines stop guests through instrumented code instead, without a goroutine
	// per call (interrupt.go).
	rc := wazero.NewRuntimeConfig().WithMemoryLimitPages(cfg.MemoryLimitPages)
	if cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasmhost: compilation cache %s: %w", cfg.CacheDir, err)
		}
		r.cache = cache
		rc = rc.WithCompilationCache(cache)
	}
	r.wr = wazero.NewRuntimeWithConfig(ctx, rc)
	if err := r.instantiateHostModules(ctx); err != nil {
		_ = r.Close(ctx)
		return nil, err
	}
	return r, nil
}

func (r *Runtime) instantiateHostModules(ctx context.Context) error {
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r.wr); err != nil {
		return fmt.Errorf("wasmhost: host module %s: %w", moduleWASI, err)
	}
	if err := instantiateHostModule(ctx, r.wr, moduleHTTPHandler, httpHandlerFuncs); err != nil {
		return err
	}
	if err := instantiateHostModule(ctx, r.wr, moduleRuntime, runtimeFuncs); err != nil {
		return err
	}
	return instantiateHostModule(ctx, r.wr, modulePortico, porticoFuncs)
}

// Close closes every module and instance the runtime created, then the compilation cache.
func (r *Runtime) Close(ctx context.Context) error {
	err := r.wr.Close(ctx)
	if r.cache != nil {
		if cerr := r.cache.Close(ctx); err == nil {
			err = cerr
		}
	}
	return err
}

// MemoryLimitPages is the memory cap of every instance, in 64 KiB pages.
func (r *Runtime) MemoryLimitPages() uint32 { return r.cfg.MemoryLimitPages }
