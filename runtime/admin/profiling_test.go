package admin

import (
	"bytes"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

var gzipMagic = []byte{0x1f, 0x8b}

func TestPprofRoute(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name    string
		method  string // GET when empty
		path    string
		headers []string
		status  int
		code    string // error code, for an error status
		field   string
		body    func(t *testing.T, r response) // checks a success body
	}{
		{name: "no token", path: "/v1/debug/pprof/heap", headers: []string{"Authorization", ""},
			status: 401, code: codeUnauthorized},
		{name: "wrong token", path: "/v1/debug/pprof/goroutine", headers: []string{"Authorization", "Bearer nope"},
			status: 401, code: codeUnauthorized},
		{name: "heap", path: "/v1/debug/pprof/heap", status: 200, body: wantGzip},
		{name: "allocs", path: "/v1/debug/pprof/allocs", status: 200, body: wantGzip},
		{name: "goroutine text", path: "/v1/debug/pprof/goroutine?debug=1", status: 200,
			body: func(t *testing.T, r response) {
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") ||
					!bytes.Contains(r.body, []byte("goroutine profile:")) {
					t.Errorf("Content-Type %q, body %.80q", ct, r.body)
				}
			}},
		{name: "cpu profile", path: "/v1/debug/pprof/profile?seconds=1", status: 200, body: wantGzip},
		{name: "trace, default window", path: "/v1/debug/pprof/trace", status: 200,
			body: func(t *testing.T, r response) {
				if !bytes.HasPrefix(r.body, []byte("go 1.")) {
					t.Errorf("a trace starts with its version header, got %.20q", r.body)
				}
			}},
		{name: "seconds 0", path: "/v1/debug/pprof/profile?seconds=0", status: 400, code: codeInvalidArgument,
			field: "seconds"},
		{name: "seconds 31", path: "/v1/debug/pprof/profile?seconds=31", status: 400, code: codeInvalidArgument,
			field: "seconds"},
		{name: "seconds not a number", path: "/v1/debug/pprof/trace?seconds=1.5", status: 400,
			code: codeInvalidArgument, field: "seconds"},
		{name: "seconds on a named profile", path: "/v1/debug/pprof/heap?seconds=99", status: 400,
			code: codeInvalidArgument, field: "seconds"},
		// pprof itself refuses this one, in plain text; the API answers it as JSON.
		{name: "pprof's own refusal", path: "/v1/debug/pprof/heap?seconds=1&debug=1", status: 400,
			code: codeInvalidArgument},
		{name: "unknown profile", path: "/v1/debug/pprof/nope", status: 404, code: codeNotFound},
		{name: "POST", method: "POST", path: "/v1/debug/pprof/heap", status: 405, code: codeMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			r := e.call(method, tc.path, "", tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d; body %.200q", r.status, tc.status, r.body)
			}
			if tc.status >= 400 {
				d := r.errorBody(t)
				if d.Code != tc.code || d.Field != tc.field || d.Message == "" || d.RequestID == "" {
					t.Errorf("error %+v, want code %q field %q with a message and a request ID", d, tc.code, tc.field)
				}
				if ct := r.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("error Content-Type %q", ct)
				}
				if r.header.Get("Content-Disposition") != "" || r.header.Get("X-Go-Pprof") != "" {
					t.Errorf("pprof's headers leaked into the error: %v", r.header)
				}
				return
			}
			tc.body(t, r)
		})
	}
}

func wantGzip(t *testing.T, r response) {
	t.Helper()
	if !bytes.HasPrefix(r.body, gzipMagic) {
		t.Errorf("body %.20q is not a gzipped profile", r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q", ct)
	}
}

// TestPprofBusy checks that a second CPU profile or trace is refused while one runs, and that the flag is released.
func TestPprofBusy(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		profile string
		flag    *atomic.Bool
	}{
		{"profile", &cpuProfiling},
		{"trace", &tracing},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			tc.flag.Store(true) // as if another request were profiling
			r := e.call("GET", "/v1/debug/pprof/"+tc.profile+"?seconds=1", "")
			tc.flag.Store(false)
			if r.status != http.StatusConflict || r.errorBody(t).Code != codeProfilerBusy {
				t.Fatalf("while busy: %d %s", r.status, r.body)
			}
			if r := e.call("GET", "/v1/debug/pprof/"+tc.profile+"?seconds=1", ""); r.status != http.StatusOK {
				t.Fatalf("after: %d %s", r.status, r.body)
			}
			if tc.flag.Load() {
				t.Error("the flag is still set after the profile")
			}
		})
	}
}

func TestClientProfile(t *testing.T) {
	e := newEnv(t)
	data := must(e.client.Profile(ctxBG, "heap", 0))(t)
	if !bytes.HasPrefix(data, gzipMagic) {
		t.Fatalf("heap profile %.20q is not gzipped", data)
	}
	_, err := e.client.Profile(ctxBG, "profile", 31)
	if ae := wantAPIError(t, err, 400, codeInvalidArgument); ae.Field != "seconds" ||
		!strings.Contains(ae.Message, "1 to 30") {
		t.Errorf("error %+v", ae)
	}
	_, err = e.client.Profile(ctxBG, "nope", 0)
	wantAPIError(t, err, 404, codeNotFound)
}
