package deploy

import (
	"context"
	"fmt"
	"sync"
	"time"

	wasmplugin "github.com/portico-gateway/portico/builtins/wasm"
	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/wasmhost"
	"github.com/portico-gateway/portico/storage"
)

// DefaultWASMInstances bounds a WASM plugin's instance pool when its config does not (maxInstances).
const DefaultWASMInstances = 32

// Modules compiles the WASM modules deployments pin, once per digest: a redeploy that keeps a module reuses its
// compiled code, and the on-disk compilation cache of the wasm runtime makes a restart cheap too.
type Modules struct {
	Runtime *wasmhost.Runtime
	Store   *storage.Store

	mu       sync.Mutex
	byDigest map[string]*wasmhost.Module
}

// module returns the compiled module name@digest, loading its bytes from the store the first time.
func (m *Modules) module(ctx context.Context, name, digest string) (*wasmhost.Module, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mod := m.byDigest[digest]; mod != nil {
		return mod, nil
	}
	var wasm []byte
	if err := m.Store.View(ctx, func(tx *storage.Tx) (err error) {
		wasm, err = tx.ModuleBytes(ctx, name, digest)
		return err
	}); err != nil {
		return nil, err
	}
	mod, err := m.Runtime.Compile(ctx, name, wasm)
	if err != nil {
		return nil, fmt.Errorf("module %s: %w", name, err)
	}
	if m.byDigest == nil {
		m.byDigest = map[string]*wasmhost.Module{}
	}
	m.byDigest[digest] = mod
	return mod, nil
}

// Prune closes the compiled modules no live deployment pins any more. A module closes for real once the last
// plugin pool made from it (a replaced stage's, still draining) has closed.
func (m *Modules) Prune(keep map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for digest, mod := range m.byDigest {
		if !keep[digest] {
			_ = mod.Close()
			delete(m.byDigest, digest)
		}
	}
}

// snapshotModules is the builtins/wasm Loader of one snapshot: it instantiates the module versions the snapshot
// pinned, never a newer upload.
type snapshotModules struct {
	mods *Modules
	pins map[string]string // module name → digest
}

var _ wasmplugin.Loader = snapshotModules{}

func (s snapshotModules) NewPlugin(ctx context.Context, bc abi.BuildContext, cfg wasmplugin.Config) (abi.Plugin, error) {
	digest, ok := s.pins[cfg.Module]
	if !ok {
		return nil, fmt.Errorf("module %s is not pinned by this deployment: upload it and deploy again", cfg.Module)
	}
	mod, err := s.mods.module(ctx, cfg.Module, digest)
	if err != nil {
		return nil, err
	}
	name := cfg.Module
	if bc.Method != "" {
		name += " at " + bc.Method + " " + bc.Path
	} else {
		name += " at " + bc.Path
	}
	maxInstances := cfg.MaxInstances
	if maxInstances == 0 {
		// An instance stays with its request across the backend call, so the pool bounds the requests in flight
		// through the plugin: 2×GOMAXPROCS would cap a slow backend at a few dozen requests per second.
		maxInstances = DefaultWASMInstances
	}
	return mod.NewPlugin(ctx, wasmhost.PluginConfig{Name: name, Config: cfg.Config, MaxInstances: maxInstances,
		AllowHosts: cfg.AllowHosts, CallTimeout: time.Duration(cfg.TimeoutMs) * time.Millisecond})
}
