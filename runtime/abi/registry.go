package abi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/portico-gateway/portico/runtime/router"
)

// Scope says where a plugin type may be attached.
type Scope uint8

const (
	ScopePath Scope = 1 << iota
	ScopeMethod
)

// Site is where a binding is attached: a resource path, and a method for a method binding.
type Site struct {
	Path     string
	Method   string // "" for a path binding
	Segments []router.Segment
}

// BuildContext is what a factory knows when it compiles a binding for one route.
type BuildContext struct {
	// ServiceID and Stage identify the stage being compiled.
	ServiceID string
	Stage     string
	// Path is the route's resource path template and Segments its parsed form: the scope of context variables.
	Path     string
	Segments []router.Segment
	Method   string
	Phase    Phase
	Logger   *slog.Logger
	// Services are host services a plugin type may need (the WASM runtime for "wasm", an HTTP client for pre-call…),
	// keyed by name; each plugin package documents which it expects.
	Services map[string]any
}

// Type describes a plugin type: its name, where it may be attached, how its config is checked when saved, and how
// a binding is compiled for a route at deploy time.
type Type struct {
	Name string
	// Phases the type may run in (both when empty).
	Phases []Phase
	// Scopes where the type may be attached (path and method when zero).
	Scopes Scope
	// Validate checks a config when it is saved. at is where the binding is attached: its path's segments are the
	// context variables a value may use. Errors should name the config field.
	Validate func(at Site, config json.RawMessage) error
	// New compiles a binding for one route.
	New func(bc BuildContext, config json.RawMessage) (Plugin, error)
}

// Registry holds plugin types by name. Built-in plugin packages register into Default from init(), the way Caddy
// modules do; tests may build their own registries.
type Registry struct {
	mu    sync.RWMutex
	types map[string]Type
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{types: map[string]Type{}} }

var defaultRegistry = NewRegistry()

// Default is the process-wide registry built-ins register into.
func Default() *Registry { return defaultRegistry }

// Register adds t to the default registry; it panics on a duplicate or malformed type (a programming error).
func Register(t Type) {
	if err := defaultRegistry.Add(t); err != nil {
		panic(err)
	}
}

// Add adds t.
func (r *Registry) Add(t Type) error {
	if t.Name == "" || t.New == nil {
		return fmt.Errorf("abi: plugin type %q needs a name and a New function", t.Name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.types[t.Name]; dup {
		return fmt.Errorf("abi: plugin type %q registered twice", t.Name)
	}
	r.types[t.Name] = t
	return nil
}

// Lookup returns the type named name.
func (r *Registry) Lookup(name string) (Type, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.types[name]
	return t, ok
}

// Names lists the registered types, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.types))
	for n := range r.types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ValidatePlugin checks a binding when it is saved (it implements storage.PluginValidator).
func (r *Registry) ValidatePlugin(path, method, typ, phase string, config json.RawMessage) error {
	t, ok := r.Lookup(typ)
	if !ok {
		known := r.Names()
		if len(known) == 0 {
			return fmt.Errorf("unknown plugin type %q: this build has no plugin types", typ)
		}
		return fmt.Errorf("unknown plugin type %q (known: %s)", typ, strings.Join(known, ", "))
	}
	p, err := ParsePhase(phase)
	if err != nil {
		return err
	}
	if !t.allows(p) {
		return fmt.Errorf("plugin %q cannot run in the %s phase", typ, p)
	}
	if err := t.allowsScope(method); err != nil {
		return err
	}
	if t.Validate == nil {
		return nil
	}
	segs, err := router.ParsePath(path)
	if err != nil {
		return err
	}
	return t.Validate(Site{Path: path, Method: method, Segments: segs}, config)
}

func (t Type) allowsScope(method string) error {
	switch {
	case t.Scopes == 0:
		return nil
	case method == "" && t.Scopes&ScopePath == 0:
		return fmt.Errorf("plugin %q goes on a method, not on a path", t.Name)
	case method != "" && t.Scopes&ScopeMethod == 0:
		return fmt.Errorf("plugin %q goes on a path, not on a method", t.Name)
	}
	return nil
}

func (t Type) allows(p Phase) bool {
	if len(t.Phases) == 0 {
		return true
	}
	for _, q := range t.Phases {
		if q == p {
			return true
		}
	}
	return false
}

// Build compiles a binding of type typ for a route.
func (r *Registry) Build(typ string, bc BuildContext, config json.RawMessage) (Plugin, error) {
	t, ok := r.Lookup(typ)
	if !ok {
		return nil, fmt.Errorf("unknown plugin type %q", typ)
	}
	if !t.allows(bc.Phase) {
		return nil, fmt.Errorf("plugin %q cannot run in the %s phase", typ, bc.Phase)
	}
	if err := t.allowsScope(bc.Method); err != nil {
		return nil, err
	}
	return t.New(bc, config)
}
