// Package admin is Portico's control-plane REST API (net/http, JSON under /v1) and the Go client the CLI and the TUI
// use to reach it. The API is the console of the seed's cloud gateway as REST: services, resource trees, methods,
// plugins, stages, deployments and custom domains, read and written through storage, with the running gateway
// reloaded after every committed change that alters what it serves.
//
// Every response but a profile from /v1/debug/pprof is JSON, and every one carries an x-request-id header; errors
// have the shape {"error":{"code":"…","message":"…","field":"…","requestId":"…"}}. Single entities carry their
// version as an ETag and writes honour If-Match (412 on a stale write). The OpenAPI 3.0 document is served at
// /v1/openapi.json.
package admin

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/portico-gateway/portico/storage"
)

// Runtime is the running data plane as the admin API sees it.
type Runtime interface {
	// Check compiles snap without serving it. It runs inside the deploy transaction: an error fails the deploy and
	// nothing is written. Its message is shown to the operator, so it should name the path, method and field; a
	// *storage.Error of kind Invalid keeps its code and field. It must not write to the store (the write
	// transaction is open) and should not keep what it compiled: Reload builds what is served.
	Check(snap storage.Snapshot) error
	// Reload makes the data plane serve exactly the store's live deployments and domains.
	Reload(ctx context.Context) error
	// Status reports what the data plane serves now.
	Status() RuntimeStatus
}

// RuntimeStatus is what GET /v1/status reports.
type RuntimeStatus struct {
	Version   string      `json:"version"`
	StartedAt time.Time   `json:"startedAt"`
	Listen    []string    `json:"listen"`
	Domain    string      `json:"domain"`
	Ready     bool        `json:"ready"`
	Stages    []LiveStage `json:"stages"`
}

// LiveStage is one stage the data plane serves.
type LiveStage struct {
	ServiceID    string `json:"serviceId"`
	StageName    string `json:"stageName"`
	DeploymentID int64  `json:"deploymentId"`
	URL          string `json:"url"`
}

// Body size limits.
const (
	DefaultMaxBodyBytes = 1 << 20  // 1 MiB
	ApplyMaxBodyBytes   = 16 << 20 // 16 MiB, for a whole declarative file posted to /v1/apply
)

// Config configures a Server. Store is required; a nil Runtime serves the API without a data plane (Check accepts
// everything, Reload does nothing).
type Config struct {
	Store   *storage.Store
	Runtime Runtime
	// Token is the bearer token every authenticated route requires (see EnsureToken). An empty token refuses them all.
	Token  string
	Logger *slog.Logger
	// Version is the Portico version reported by /v1/status when the runtime doesn't say.
	Version string
	// MaxBodyBytes limits request bodies (default 1 MiB; /v1/apply gets at least 16 MiB).
	MaxBodyBytes int64
}

// Server serves the admin API.
type Server struct {
	store   *storage.Store
	rt      Runtime
	token   []byte
	log     *slog.Logger
	version string
	maxBody int64
	mux     *http.ServeMux
	// patterns lists every registered pattern, in registration order ("GET /v1/services/{svc}").
	patterns []string
	openapi  []byte
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	s := &Server{
		store:   cfg.Store,
		rt:      cfg.Runtime,
		token:   []byte(cfg.Token),
		log:     cfg.Logger,
		version: cfg.Version,
		maxBody: cfg.MaxBodyBytes,
		mux:     http.NewServeMux(),
	}
	if s.rt == nil {
		s.rt = nopRuntime{version: cfg.Version}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if len(s.token) == 0 {
		s.log.Warn("admin API has no token: every authenticated route answers 401")
	}
	s.openapi = mustOpenAPI()
	s.routes()
	return s
}

// Handler returns the API's http.Handler: request IDs, panic recovery, authentication, then the routes.
func (s *Server) Handler() http.Handler {
	var h http.Handler = http.HandlerFunc(s.dispatch)
	h = s.authenticate(h)
	h = s.recoverPanics(h)
	h = s.requestID(h)
	return h
}

// routes registers every endpoint. openapi.go documents each one; a test keeps the two in step.
func (s *Server) routes() {
	s.handle("GET /v1/healthz", s.healthz)
	s.handle("GET /v1/openapi.json", s.openAPIDocument)
	s.handle("GET /v1/status", s.status)

	s.handle("GET /v1/services", s.listServices)
	s.handle("POST /v1/services", s.createService)
	s.handle("GET /v1/services/{svc}", s.getService)
	s.handle("PATCH /v1/services/{svc}", s.patchService)
	s.handle("DELETE /v1/services/{svc}", s.deleteService)

	s.handle("GET /v1/services/{svc}/resources", s.getTree)
	s.handle("PUT /v1/services/{svc}/resources", s.replaceTree)
	s.handle("POST /v1/services/{svc}/resources", s.createResource)
	s.handle("GET /v1/services/{svc}/resources/{id}", s.getResource)
	s.handle("DELETE /v1/services/{svc}/resources/{id}", s.deleteResource)

	s.handle("POST /v1/services/{svc}/resources/{id}/methods", s.createMethod)
	s.handle("GET /v1/services/{svc}/methods/{id}", s.getMethod)
	s.handle("PATCH /v1/services/{svc}/methods/{id}", s.patchMethod)
	s.handle("DELETE /v1/services/{svc}/methods/{id}", s.deleteMethod)

	s.handle("POST /v1/services/{svc}/resources/{id}/plugins", s.addResourcePlugin)
	s.handle("POST /v1/services/{svc}/methods/{id}/plugins", s.addMethodPlugin)
	s.handle("GET /v1/services/{svc}/plugins/{id}", s.getPlugin)
	s.handle("PATCH /v1/services/{svc}/plugins/{id}", s.patchPlugin)
	s.handle("DELETE /v1/services/{svc}/plugins/{id}", s.deletePlugin)

	s.handle("GET /v1/services/{svc}/stages", s.listStages)
	s.handle("POST /v1/services/{svc}/stages", s.createStage)
	s.handle("GET /v1/services/{svc}/stages/{stage}", s.getStage)
	s.handle("PATCH /v1/services/{svc}/stages/{stage}", s.patchStage)
	s.handle("DELETE /v1/services/{svc}/stages/{stage}", s.deleteStage)
	s.handle("POST /v1/services/{svc}/stages/{stage}/apply-resources", s.applyResources)
	s.handle("POST /v1/services/{svc}/stages/{stage}/deploy", s.deploy)

	s.handle("GET /v1/services/{svc}/stages/{stage}/deployments", s.listDeployments)
	s.handle("GET /v1/services/{svc}/stages/{stage}/deployments/{id}", s.getDeployment)
	s.handle("DELETE /v1/services/{svc}/stages/{stage}/deployments/{id}", s.deleteDeployment)
	s.handle("POST /v1/services/{svc}/stages/{stage}/deployments/{id}/rollback", s.rollback)

	s.handle("POST /v1/apply", s.applyConfig)
	s.handle("GET /v1/export", s.exportConfig)

	s.handle("GET /v1/modules", s.listModules)
	s.handle("GET /v1/modules/{name}", s.getModule)
	s.handle("PUT /v1/modules/{name}", s.putModule)
	s.handle("DELETE /v1/modules/{name}", s.deleteModule)

	s.handle("GET /v1/domains", s.listDomains)
	s.handle("POST /v1/domains", s.createDomain)
	s.handle("DELETE /v1/domains/{host}", s.deleteDomain)

	// API keys and usage plans (apikeys.go, usageplans.go).
	s.handle("GET /v1/apikeys", s.listAPIKeys)
	s.handle("POST /v1/apikeys", s.createAPIKey)
	s.handle("GET /v1/apikeys/{key}", s.getAPIKey)
	s.handle("PATCH /v1/apikeys/{key}", s.patchAPIKey)
	s.handle("DELETE /v1/apikeys/{key}", s.deleteAPIKey)
	s.handle("POST /v1/apikeys/{key}/regenerate", s.regenerateAPIKey)
	s.handle("GET /v1/usageplans", s.listUsagePlans)
	s.handle("POST /v1/usageplans", s.createUsagePlan)
	s.handle("GET /v1/usageplans/{plan}", s.getUsagePlan)
	s.handle("PATCH /v1/usageplans/{plan}", s.patchUsagePlan)
	s.handle("DELETE /v1/usageplans/{plan}", s.deleteUsagePlan)
	s.handle("GET /v1/usageplans/{plan}/stages", s.listPlanStages)
	s.handle("POST /v1/usageplans/{plan}/stages", s.connectPlanStage)
	s.handle("DELETE /v1/usageplans/{plan}/stages/{svc}/{stage}", s.disconnectPlanStage)
	s.handle("GET /v1/usageplans/{plan}/stages/{svc}/{stage}/apikeys", s.listPlanKeys)
	s.handle("POST /v1/usageplans/{plan}/stages/{svc}/{stage}/apikeys", s.connectPlanKey)
	s.handle("DELETE /v1/usageplans/{plan}/stages/{svc}/{stage}/apikeys/{key}", s.disconnectPlanKey)
	s.handle("POST /v1/usageplans/{plan}/stages/{svc}/{stage}/apikeys/{key}/move", s.moveKey)

	// Runtime profiles of this process (profiling.go).
	s.handle("GET /v1/debug/pprof/{profile}", s.pprofProfile)
}

// handlerFunc is an endpoint: it writes a success response itself, or returns the error to write.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handlerFunc) {
	s.patterns = append(s.patterns, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// dispatch routes r, answering unknown routes and wrong methods with JSON errors instead of the mux's plain text.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	if allowed := s.allowedMethods(r); len(allowed) > 0 {
		w.Header().Set("Allow", allowed)
		s.writeError(w, r, &apiError{Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed,
			Message: r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + allowed})
		return
	}
	s.writeError(w, r, &apiError{Status: http.StatusNotFound, Code: codeNotFound,
		Message: "no route " + r.Method + " " + r.URL.Path})
}

// allowedMethods lists the methods the mux would accept on r's path, comma-separated.
func (s *Server) allowedMethods(r *http.Request) string {
	allowed := ""
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			if allowed != "" {
				allowed += ", "
			}
			allowed += m
		}
	}
	return allowed
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, HealthStatus{Status: "ok"})
	return nil
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	st := s.rt.Status()
	if st.Version == "" {
		st.Version = s.version
	}
	if st.Listen == nil {
		st.Listen = []string{}
	}
	if st.Stages == nil {
		st.Stages = []LiveStage{}
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) openAPIDocument(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.openapi)
	return nil
}

// view and update run fn in a read or write transaction of the store.
func (s *Server) view(ctx context.Context, fn func(*storage.Tx) error) error {
	return s.store.View(ctx, fn)
}

func (s *Server) update(ctx context.Context, fn func(*storage.Tx) error) error {
	return s.store.Update(ctx, fn)
}

// reload makes the data plane serve the store's live state after a committed change. The change stays committed if
// the reload fails; the error says so.
func (s *Server) reload(r *http.Request, what string) error {
	if err := s.rt.Reload(r.Context()); err != nil {
		s.log.ErrorContext(r.Context(), "gateway reload failed", logKeyRequestID, requestIDOf(r), logKeyChange, what,
			logKeyError, err)
		return &apiError{Status: http.StatusInternalServerError, Code: codeReloadFailed,
			Message: what + " was committed, but reloading the gateway failed, so it may still serve the previous " +
				"state; see the server log for this request ID, then retry with a deploy"}
	}
	return nil
}

// nopRuntime stands in when the server runs without a data plane.
type nopRuntime struct{ version string }

func (nopRuntime) Check(storage.Snapshot) error     { return nil }
func (nopRuntime) Reload(ctx context.Context) error { return nil }
func (n nopRuntime) Status() RuntimeStatus {
	return RuntimeStatus{Version: n.version, Listen: []string{}, Stages: []LiveStage{}}
}

// Log keys.
const (
	logKeyRequestID = "requestId"
	logKeyMethod    = "method"
	logKeyPath      = "path"
	logKeyStatus    = "status"
	logKeyDuration  = "duration"
	logKeyError     = "error"
	logKeyChange    = "change"
)
