package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/portico-gateway/portico/storage"
)

const testToken = "0123456789abcdef0123456789abcdef"

// fakeRuntime records what the server asks of the data plane.
type fakeRuntime struct {
	mu        sync.Mutex
	checks    []storage.Snapshot
	reloads   int
	checkErr  error
	reloadErr error
}

func (f *fakeRuntime) Check(snap storage.Snapshot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks = append(f.checks, snap)
	return f.checkErr
}

func (f *fakeRuntime) Reload(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reloads++
	return f.reloadErr
}

func (f *fakeRuntime) Status() RuntimeStatus {
	return RuntimeStatus{Version: "test", Ready: true, Listen: []string{":8080"}, Domain: "gw.test",
		Stages: []LiveStage{{ServiceID: "abcd1234", StageName: "", DeploymentID: 1, URL: "http://abcd1234.gw.test"}}}
}

func (f *fakeRuntime) counts() (checks, reloads int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.checks), f.reloads
}

func (f *fakeRuntime) lastCheck() storage.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.checks) == 0 {
		return storage.Snapshot{}
	}
	return f.checks[len(f.checks)-1]
}

func (f *fakeRuntime) set(checkErr, reloadErr error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkErr, f.reloadErr = checkErr, reloadErr
}

// plugins accepts the plugin types the tests use.
type plugins struct{}

func (plugins) ValidatePlugin(path, method, typ, phase string, config json.RawMessage) error {
	switch typ {
	case "headers":
		return nil
	case "strict":
		var v struct{ OK bool }
		if err := json.Unmarshal(config, &v); err != nil || !v.OK {
			return storage.Invalid("ok", "must be true")
		}
		return nil
	}
	return storage.Invalid("type", "unknown plugin type %q", typ)
}

// env is a server on a real SQLite store behind a real HTTP listener.
type env struct {
	t      *testing.T
	store  *storage.Store
	rt     *fakeRuntime
	srv    *Server
	http   *httptest.Server
	client *Client
	logs   *lockedBuffer
}

// lockedBuffer collects log output written from handler goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, filepath.Join(t.TempDir(), "portico.db"), storage.Options{Plugins: plugins{}})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &lockedBuffer{}
	cfg := Config{
		Store:   st,
		Runtime: &fakeRuntime{},
		Token:   testToken,
		Logger:  slogTo(logs),
		Version: "v-test",
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv := New(cfg)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	c := NewClient(hs.URL, testToken)
	c.Author = "tester"
	rt, _ := cfg.Runtime.(*fakeRuntime)
	return &env{t: t, store: st, rt: rt, srv: srv, http: hs, client: c, logs: logs}
}

// response is a raw HTTP exchange with the server.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) errorBody(t *testing.T) ErrorDetail {
	t.Helper()
	var b ErrorBody
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return b.Error
}

// call sends a raw request; headers alternate name, value.
func (e *env) call(method, path, body string, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// seed creates a service with one resource, one method and a "dev" stage.
func (e *env) seed() (storage.Service, storage.Resource, storage.Method) {
	e.t.Helper()
	ctx := context.Background()
	t := e.t
	svc := must(e.client.CreateService(ctx, ServiceInput{Name: "members", Description: "member API"}))(t)
	res := must(e.client.CreateResource(ctx, svc.ID, "/members/{memberId}"))(t)
	m := must(e.client.CreateMethod(ctx, svc.ID, res.ID, MethodInput{Method: "GET", Name: "get member",
		Backend: storage.Backend{Type: storage.BackendHTTP, Path: "/users/${request.path.memberId}"}}))(t)
	must(e.client.CreateStage(ctx, svc.ID, StageInput{Name: "dev", BackendURL: "http://127.0.0.1:9"}))(t)
	return svc, res, m
}

// must returns v, failing t when err is set: must(f())(t).
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// wantAPIError asserts err is an *APIError with status and code.
func wantAPIError(t *testing.T, err error, status int, code string) *APIError {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want *APIError %d %s", err, err, status, code)
	}
	if ae.Status != status || ae.Code != code {
		t.Fatalf("error %d %q (%v), want %d %q", ae.Status, ae.Code, ae, status, code)
	}
	if ae.RequestID == "" {
		t.Errorf("error %v has no request ID", ae)
	}
	return ae
}

var ctxBG = context.Background()
