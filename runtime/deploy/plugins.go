package deploy

import (
	"encoding/json"
	"fmt"
	"strings"

	wasmplugin "github.com/portico-gateway/portico/builtins/wasm"
	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/ctxvar"
	"github.com/portico-gateway/portico/runtime/pipeline"
	"github.com/portico-gateway/portico/runtime/router"
	"github.com/portico-gateway/portico/storage"
)

// pluginCompiler builds the plugin chains of one snapshot. Each binding is compiled once, in the context of the path
// or method that declares it, and shared by every route it applies to: a path's WASM plugin is one instance pool,
// not one per method below it.
type pluginCompiler struct {
	c        *Compiler
	snap     storage.Snapshot
	byPath   map[string]*storage.Resource
	compiled map[*storage.PluginBinding]pipeline.Binding
	checks   map[string]pipeline.Binding // stage checks by declaring node and field
	order    []abi.Plugin
	services map[string]any // the compiler's services plus this snapshot's module loader
}

func newPluginCompiler(c *Compiler, snap storage.Snapshot) *pluginCompiler {
	pc := &pluginCompiler{c: c, snap: snap, byPath: map[string]*storage.Resource{},
		compiled: map[*storage.PluginBinding]pipeline.Binding{}, checks: map[string]pipeline.Binding{}}
	for i := range snap.Resources.Resources {
		r := &snap.Resources.Resources[i]
		pc.byPath[r.Path] = r
	}
	pc.services = make(map[string]any, len(c.Services)+1)
	for k, v := range c.Services {
		pc.services[k] = v
	}
	if c.Modules != nil {
		pins := make(map[string]string, len(snap.Modules))
		for _, m := range snap.Modules {
			pins[m.Name] = m.Digest
		}
		pc.services[wasmplugin.ServiceKey] = snapshotModules{mods: c.Modules, pins: pins}
	}
	return pc
}

// declared is one binding with where it was declared.
type declared struct {
	b      *storage.PluginBinding
	path   string
	method string
}

// chain returns the effective bindings of a method: the plugins of the root, then of each path down to the
// method's own, then the method's. A plugin type declared nearer the method replaces the inherited one of the same
// type, unless the inherited one was declared with overrideChildren, which imposes it on everything below.
func (pc *pluginCompiler) chain(path string, m storage.Method) ([]pipeline.Binding, error) {
	var eff []declared
	apply := func(list []storage.PluginBinding, at, method string) {
		for i := range list {
			b := &list[i]
			imposed := false
			kept := eff[:0:0]
			for _, d := range eff {
				switch {
				case d.b.Type != b.Type:
					kept = append(kept, d)
				case d.b.OverrideChildren && (d.path != at || d.method != method):
					imposed = true
					kept = append(kept, d)
				case d.path == at && d.method == method:
					kept = append(kept, d) // several bindings of one type on one node all apply
				}
			}
			eff = kept
			if !imposed {
				eff = append(eff, declared{b: b, path: at, method: method})
			}
		}
	}
	for _, p := range ancestors(path) {
		if res := pc.byPath[p]; res != nil {
			apply(res.Plugins, p, "")
		}
	}
	apply(m.Plugins, path, m.HTTPMethod)

	out := make([]pipeline.Binding, 0, len(eff))
	for _, d := range eff {
		b, err := pc.compile(d)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (pc *pluginCompiler) compile(d declared) (pipeline.Binding, error) {
	if b, ok := pc.compiled[d.b]; ok {
		return b, nil
	}
	where := d.path + " plugins." + d.b.Type
	if d.method != "" {
		where = d.method + " " + d.path + " plugins." + d.b.Type
	}
	phase, err := abi.ParsePhase(d.b.Phase)
	if err != nil {
		return pipeline.Binding{}, compileError(where, "%v", err)
	}
	ns := fmt.Sprintf("%s/%s/%s/%s/%s#%d", pc.snap.ServiceID, pc.snap.StageName, d.path, d.method, d.b.Type, d.b.ID)
	b, err := pc.build(d.b.Type, d.path, d.method, phase, d.b.Config, where, ns)
	if err != nil {
		return pipeline.Binding{}, err
	}
	pc.compiled[d.b] = b
	return b, nil
}

// build compiles one binding of typ declared at (path, method); where names it in errors, ns is its KV namespace.
func (pc *pluginCompiler) build(typ, path, method string, phase abi.Phase, config json.RawMessage, where, ns string) (pipeline.Binding, error) {
	if pc.c.Plugins == nil {
		return pipeline.Binding{}, compileError(where, "plugin %q is not available in this build", typ)
	}
	if _, ok := pc.c.Plugins.Lookup(typ); !ok {
		return pipeline.Binding{}, compileError(where, "plugin %q is not available in this build", typ)
	}
	segs, err := router.ParsePath(path)
	if err != nil {
		return pipeline.Binding{}, compileError(where, "%v", err)
	}
	bc := abi.BuildContext{ServiceID: pc.snap.ServiceID, Stage: pc.snap.StageName, Path: path, Segments: segs,
		Method: method, Phase: phase, Logger: pc.c.Logger, Services: pc.services}
	p, err := pc.c.Plugins.Build(typ, bc, config)
	if err != nil {
		if se, ok := storage.AsError(err); ok {
			return pipeline.Binding{}, compileError(where+"."+se.Field, "%s", se.Message)
		}
		return pipeline.Binding{}, compileError(where, "%v", err)
	}
	pc.order = append(pc.order, p)
	return pipeline.Binding{Name: typ, Plugin: p, Phase: phase, Namespace: []byte(ns), KV: pc.c.KV, Caller: pc.c.Caller}, nil
}

// closers lists the compiled plugins that hold resources.
func (pc *pluginCompiler) closers() []abi.Closer {
	var out []abi.Closer
	for _, p := range pc.order {
		if c, ok := p.(abi.Closer); ok {
			out = append(out, c)
		}
	}
	return out
}

// closeAll releases what a failed compile built.
func (pc *pluginCompiler) closeAll() {
	for _, c := range pc.closers() {
		_ = c.Close()
	}
}

// ancestors lists "/" and every prefix path of p down to p itself ("/a/b" → "/", "/a", "/a/b").
func ancestors(p string) []string {
	out := []string{"/"}
	if p == "/" {
		return out
	}
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return append(out, strings.TrimSuffix(p, "/"))
}

// TypeCORS is the CORS plugin type: a path that has it answers preflight requests with its own OPTIONS method.
const TypeCORS = "cors"

// corsPreflight returns the OPTIONS route the CORS plugin in effect on res adds (nil when none applies or the path
// has no methods). It is managed by the plugin: it exists while the plugin does, replaces an OPTIONS method of the
// path, and runs only the CORS plugin — browsers send no credentials on a preflight, so no stage check could pass.
func (pc *pluginCompiler) corsPreflight(res storage.Resource, segs []router.Segment) (*pipeline.Route, error) {
	if len(res.Methods) == 0 {
		return nil, nil
	}
	all, err := pc.chain(res.Path, storage.Method{HTTPMethod: "OPTIONS"})
	if err != nil {
		return nil, err
	}
	var cors []pipeline.Binding
	for _, b := range all {
		if b.Name == TypeCORS {
			cors = append(cors, b)
		}
	}
	if len(cors) == 0 {
		return nil, nil
	}
	empty, _ := ctxvar.Parse("", nil)
	return pipeline.NewMockRoute("OPTIONS", res.Path, 204, nil, empty).WithPlugins(segs, cors), nil
}
