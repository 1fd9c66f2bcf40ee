// Package demo provides what `portico serve --demo` needs to be callable at once: a small echo backend and a demo
// service, deployed to a default and a "test" stage.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/portico-gateway/portico/config"
	"github.com/portico-gateway/portico/storage"
)

// ServiceID and ServiceName identify the demo service.
const (
	ServiceID   = "demo0001"
	ServiceName = "demo"
)

// Document returns the demo service as a declarative document whose stages call backendURL.
func Document(backendURL string) *config.Document {
	return &config.Document{Services: []config.Service{{
		ID: ServiceID, Name: ServiceName, Description: "Demo API created by portico serve --demo",
		Resources: map[string]config.Resource{
			"/hello": {Methods: map[string]config.Method{
				"GET": {Name: "hello", Backend: config.Backend{Type: storage.BackendMock, Status: 200,
					Headers: map[string]string{"content-type": "text/plain; charset=utf-8"},
					Body:    "hello ${request.clientIp} from stage '${stage.name}'\n"}},
			}},
			"/items/{itemId}": {Methods: map[string]config.Method{
				"GET": {Name: "getItem", Backend: config.Backend{Type: storage.BackendHTTP,
					Path: "/items/${request.path.itemId}"}},
			}},
			"/echo/{proxy+}": {Methods: map[string]config.Method{
				"ANY": {Name: "echo", Backend: config.Backend{Type: storage.BackendHTTP,
					Path: "/echo/${request.path.proxy+}"}},
			}},
		},
		Stages: []config.Stage{
			{Name: "", Description: "default stage", BackendURL: backendURL},
			{Name: "test", Description: "test stage", BackendURL: backendURL},
		},
	}}}
}

// Deployer is what Ensure needs of the runtime: compile checks and a reload after the deploy commits.
type Deployer interface {
	Check(storage.Snapshot) error
	Reload(ctx context.Context) error
}

// Ensure creates and deploys the demo service unless a service with its ID already exists (a user's edits to it
// are kept across restarts).
func Ensure(ctx context.Context, store *storage.Store, rt Deployer, backendURL string) (created bool, err error) {
	err = store.Update(ctx, func(tx *storage.Tx) error {
		if _, err := tx.GetService(ctx, ServiceID); err == nil {
			return nil
		} else if se, ok := storage.AsError(err); !ok || se.Kind != storage.KindNotFound {
			return err
		}
		doc := Document(backendURL)
		if _, err := config.Apply(ctx, tx, doc, config.Options{}); err != nil {
			return fmt.Errorf("demo: apply: %w", err)
		}
		for _, st := range doc.Services[0].Stages {
			if _, _, err := tx.ApplyResources(ctx, ServiceID, st.Name); err != nil {
				return fmt.Errorf("demo: apply resources to stage %q: %w", st.Name, err)
			}
			if _, err := tx.Deploy(ctx, ServiceID, st.Name, "demo", "portico serve --demo", rt.Check); err != nil {
				return fmt.Errorf("demo: deploy stage %q: %w", st.Name, err)
			}
		}
		created = true
		return nil
	})
	if err != nil || !created {
		return created, err
	}
	return true, rt.Reload(ctx)
}

// Backend is the demo's echo backend: it answers every request with a JSON description of what it received, which
// makes the gateway's rewriting visible.
type Backend struct {
	srv *http.Server
	ln  net.Listener
}

// StartBackend serves the echo backend on addr (e.g. "127.0.0.1:9000").
func StartBackend(ctx context.Context, addr string) (*Backend, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("demo backend: listen %s: %w", addr, err)
	}
	b := &Backend{ln: ln, srv: &http.Server{Handler: http.HandlerFunc(echo), ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := b.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener was closed under us; nothing to report to
		}
	}()
	return b, nil
}

// URL is the backend's base URL.
func (b *Backend) URL() string { return "http://" + b.ln.Addr().String() }

// Close stops the backend.
func (b *Backend) Close(ctx context.Context) error { return b.srv.Shutdown(ctx) }

// Echo is what the echo backend answers.
type Echo struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query,omitempty"`
	Host    string              `json:"host"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body,omitempty"`
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	headers := make(map[string][]string, len(names))
	for _, k := range names {
		headers[k] = r.Header[k]
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(Echo{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Host: r.Host,
		Headers: headers, Body: string(body)})
}
