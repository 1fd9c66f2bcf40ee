// Package deploy turns deployment snapshots from storage into compiled, immutable pipeline stages and swaps the
// gateway's routing table atomically. It is the bridge between the control plane and the data plane: the data plane
// packages never see storage types.
package deploy

import (
	"fmt"
	"log/slog"
	"net/http"
	"sort"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/ctxvar"
	"github.com/portico-gateway/portico/runtime/pipeline"
	"github.com/portico-gateway/portico/runtime/proxy"
	"github.com/portico-gateway/portico/runtime/router"
	"github.com/portico-gateway/portico/storage"
)

// CodeInvalidDeployment is the error code of a snapshot that does not compile.
const CodeInvalidDeployment = "invalid_deployment"

// Compiler compiles snapshots. It holds what compiled stages share: the backend transport, the plugin types, the
// plugin KV store and the services plugin factories may ask for (the WASM runtime, …).
type Compiler struct {
	Transport *proxy.Transport
	Plugins   *abi.Registry // nil: no plugin types
	KV        pipeline.KV
	Services  map[string]any
	// Modules compiles the WASM modules of "wasm" plugins (nil: WASM plugins are refused).
	Modules *Modules
	// Caller makes plugins' outbound http_call requests (nil: http_call is refused).
	Caller pipeline.Caller
	Logger *slog.Logger
}

func compileError(field, format string, args ...any) *storage.Error {
	return &storage.Error{Kind: storage.KindInvalid, Code: CodeInvalidDeployment, Field: field,
		Message: fmt.Sprintf(format, args...)}
}

// Compile builds a servable stage from snap. Every error names the path, method and field at fault, the way
// Traefik reports a route that failed to build, and nothing is served from a snapshot that fails.
func (c *Compiler) Compile(deploymentID int64, snap storage.Snapshot) (*pipeline.Stage, error) {
	if _, err := proxy.ParseBackendURL(snap.BackendURL); err != nil {
		return nil, compileError("backendUrl", "%v", err)
	}
	settings := newSettingsIndex(snap.Settings)
	b := router.NewBuilder[*pipeline.Route]()
	plugins := newPluginCompiler(c, snap)
	targets := targetCache{}
	routes := 0
	for _, res := range snap.Resources.Resources {
		segs, err := router.ParsePath(res.Path)
		if err != nil {
			plugins.closeAll()
			return nil, compileError(res.Path, "%v", err)
		}
		preflight, err := plugins.corsPreflight(res, segs)
		if err != nil {
			plugins.closeAll()
			return nil, err
		}
		if preflight != nil {
			if err := b.Add("OPTIONS", res.Path, preflight); err != nil {
				plugins.closeAll()
				return nil, compileError("OPTIONS "+res.Path, "%v", err)
			}
			routes++
		}
		for _, m := range res.Methods {
			if preflight != nil && m.HTTPMethod == "OPTIONS" {
				continue // the CORS plugin's OPTIONS replaces the path's own (seed)
			}
			where := m.HTTPMethod + " " + res.Path
			route, err := c.compileMethod(snap, settings, targets, res.Path, segs, m)
			if err != nil {
				plugins.closeAll()
				return nil, err
			}
			checks, err := plugins.stageChecks(settings, res.Path, m.HTTPMethod)
			if err != nil {
				plugins.closeAll()
				return nil, err
			}
			bindings, err := plugins.chain(res.Path, m)
			if err != nil {
				plugins.closeAll()
				return nil, err
			}
			bindings = append(checks, bindings...)
			if err := b.Add(m.HTTPMethod, res.Path, route.WithPlugins(segs, bindings)); err != nil {
				plugins.closeAll()
				return nil, compileError(where, "%v", err)
			}
			routes++
		}
	}
	if routes == 0 {
		plugins.closeAll()
		return nil, compileError("resources", "the stage has no methods to serve")
	}
	st := pipeline.NewStage(snap.ServiceID, snap.StageName, deploymentID, b.Build(), c.Logger)
	st.SetClosers(plugins.closers())
	return st, nil
}

func (c *Compiler) compileMethod(snap storage.Snapshot, settings settingsIndex, targets targetCache, path string,
	segs []router.Segment, m storage.Method) (*pipeline.Route, error) {
	where := m.HTTPMethod + " " + path
	switch m.Backend.Type {
	case storage.BackendHTTP:
		tpl, err := ctxvar.Parse(m.Backend.Path, segs)
		if err != nil {
			return nil, compileError(where+" backend.path", "%v", err)
		}
		base := snap.BackendURL
		if override := settings.backendURL(path, m.HTTPMethod); override != "" {
			base = override
		}
		target, err := targets.get(c.Transport, base)
		if err != nil {
			return nil, compileError(where+" backendUrl", "%v", err)
		}
		return pipeline.NewHTTPRoute(m.HTTPMethod, path, target, tpl), nil
	case storage.BackendMock:
		if m.Backend.Status < 100 || m.Backend.Status > 599 {
			return nil, compileError(where+" backend.status", "status %d is not an HTTP status", m.Backend.Status)
		}
		names := make([]string, 0, len(m.Backend.Headers))
		for name := range m.Backend.Headers {
			names = append(names, name)
		}
		sort.Strings(names)
		var headers []pipeline.MockHeader
		for _, name := range names {
			tpl, err := ctxvar.Parse(m.Backend.Headers[name], segs)
			if err != nil {
				return nil, compileError(where+" backend.headers."+name, "%v", err)
			}
			headers = append(headers, pipeline.MockHeader{Name: http.CanonicalHeaderKey(name), Value: tpl})
		}
		body, err := ctxvar.Parse(m.Backend.Body, segs)
		if err != nil {
			return nil, compileError(where+" backend.body", "%v", err)
		}
		return pipeline.NewMockRoute(m.HTTPMethod, path, m.Backend.Status, headers, body), nil
	}
	return nil, compileError(where+" backend.type", "unknown backend type %q (http or mock)", m.Backend.Type)
}

// targetCache hands the routes of a stage one Target per backend URL: Targets are immutable, and many routes on one
// backend then read one Target, which stays in cache, instead of one per route.
type targetCache map[string]*proxy.Target

func (tc targetCache) get(t *proxy.Transport, base string) (*proxy.Target, error) {
	if tg, ok := tc[base]; ok {
		return tg, nil
	}
	tg, err := t.Target(base)
	if err != nil {
		return nil, err
	}
	tc[base] = tg
	return tg, nil
}
