// Package wasm is the "wasm" plugin type: a user plugin, a WebAssembly module uploaded with `portico module add`,
// run by the wasmhost package on the same ABI the built-ins use. Config:
//
//	{"module": "add-header", "config": {...passed to the guest by get_config...},
//	 "allowHosts": ["api.example.com:443"], "maxInstances": 8, "timeoutMs": 100}
package wasm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/portico-gateway/portico/runtime/abi"
)

// Type is the plugin type name (the same as storage.PluginTypeWASM).
const Type = "wasm"

// ServiceKey is the BuildContext.Services key of the Loader.
const ServiceKey = "wasm"

// Limits of a binding.
const (
	MaxInstancesLimit = 64
	MaxTimeoutMs      = 10_000
	maxAllowHosts     = 32
)

// Config is the binding's config.
type Config struct {
	Module       string          `json:"module"`
	Config       json.RawMessage `json:"config,omitempty"`
	AllowHosts   []string        `json:"allowHosts,omitempty"`
	MaxInstances int             `json:"maxInstances,omitempty"`
	TimeoutMs    int             `json:"timeoutMs,omitempty"`
}

// Loader instantiates a module pinned by the deployment being compiled. The deploy compiler provides it.
type Loader interface {
	NewPlugin(ctx context.Context, bc abi.BuildContext, cfg Config) (abi.Plugin, error)
}

var moduleName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func init() {
	abi.Register(abi.Type{Name: Type,
		Validate: func(_ abi.Site, raw json.RawMessage) error { _, err := Parse(raw); return err },
		New: func(bc abi.BuildContext, raw json.RawMessage) (abi.Plugin, error) {
			cfg, err := Parse(raw)
			if err != nil {
				return nil, err
			}
			loader, ok := bc.Services[ServiceKey].(Loader)
			if !ok {
				return nil, fmt.Errorf("WASM plugins are not enabled on this node")
			}
			return loader.NewPlugin(context.Background(), bc, cfg)
		}})
}

// Parse checks a config.
func Parse(raw json.RawMessage) (Config, error) {
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("config: %w (fields: module, config, allowHosts, maxInstances, timeoutMs)", err)
	}
	switch {
	case !moduleName.MatchString(cfg.Module):
		return cfg, fmt.Errorf("module: name an uploaded module (portico module ls)")
	case cfg.MaxInstances < 0 || cfg.MaxInstances > MaxInstancesLimit:
		return cfg, fmt.Errorf("maxInstances: 1 to %d (0 for the default)", MaxInstancesLimit)
	case cfg.TimeoutMs < 0 || cfg.TimeoutMs > MaxTimeoutMs:
		return cfg, fmt.Errorf("timeoutMs: 1 to %d (0 for the default)", MaxTimeoutMs)
	case len(cfg.AllowHosts) > maxAllowHosts:
		return cfg, fmt.Errorf("allowHosts: at most %d", maxAllowHosts)
	}
	if len(cfg.Config) > 0 && !json.Valid(cfg.Config) {
		return cfg, fmt.Errorf("config: not valid JSON")
	}
	return cfg, nil
}
