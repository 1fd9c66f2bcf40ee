package admin

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuth(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		method string
		path   string
		auth   string // Authorization header; "-" sends none
		status int
		code   string
	}{
		{"no token", "GET", "/v1/services", "-", 401, "unauthorized"},
		{"wrong token", "GET", "/v1/services", "Bearer nope", 401, "unauthorized"},
		{"token prefix", "GET", "/v1/services", "Bearer " + testToken[:10], 401, "unauthorized"},
		{"basic scheme", "GET", "/v1/services", "Basic " + testToken, 401, "unauthorized"},
		{"bare token", "GET", "/v1/services", testToken, 401, "unauthorized"},
		{"right token", "GET", "/v1/services", "Bearer " + testToken, 200, ""},
		{"scheme any case", "GET", "/v1/services", "bearer " + testToken, 200, ""},
		{"write without token", "POST", "/v1/services", "-", 401, "unauthorized"},
		{"status without token", "GET", "/v1/status", "-", 401, "unauthorized"},
		{"openapi without token", "GET", "/v1/openapi.json", "-", 200, ""},
		{"healthz without token", "GET", "/v1/healthz", "-", 200, ""},
		{"unknown route without token", "GET", "/v1/nothing", "-", 401, "unauthorized"},
		{"unknown route", "GET", "/v1/nothing", "Bearer " + testToken, 404, "not_found"},
		{"outside v1", "GET", "/", "Bearer " + testToken, 404, "not_found"},
		{"wrong method", "PUT", "/v1/services", "Bearer " + testToken, 405, "method_not_allowed"},
		{"wrong method on public route", "POST", "/v1/healthz", "Bearer " + testToken, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(tt.method, tt.path, "", "Authorization", strings.TrimPrefix(tt.auth, "-"))
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no x-request-id header")
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
			if tt.code == "" {
				return
			}
			got := r.errorBody(t)
			if got.Code != tt.code || got.Message == "" || got.RequestID != r.header.Get("X-Request-Id") {
				t.Errorf("error %+v", got)
			}
			if tt.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tt.status == 405 && r.header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	if strings.Contains(e.logs.String(), testToken) {
		t.Error("the token appears in the log")
	}
}

func TestEmptyTokenRefusesEverything(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Token = "" })
	for _, auth := range []string{"", "Bearer ", "Bearer  "} {
		if r := e.call("GET", "/v1/services", "", "Authorization", auth); r.status != 401 {
			t.Errorf("Authorization %q: status %d", auth, r.status)
		}
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, sent string
		echoed     bool
	}{
		{"kept", "req-123", true},
		{"generated", "", false},
		{"unsafe replaced", "a b\"c", false},
		{"too long replaced", strings.Repeat("x", 200), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call("GET", "/v1/services/nosuch", "", "X-Request-Id", tt.sent)
			id := r.header.Get("X-Request-Id")
			if tt.echoed != (id == tt.sent) || id == "" {
				t.Fatalf("x-request-id %q for %q", id, tt.sent)
			}
			if got := r.errorBody(t); got.RequestID != id || got.Code != "not_found" {
				t.Errorf("error %+v, want request ID %q", got, id)
			}
		})
	}
}

func TestEnsureToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	tok, err := EnsureToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 64 || strings.Trim(tok, "0123456789abcdef") != "" {
		t.Fatalf("token %q is not 32 hex-encoded bytes", tok)
	}
	path := filepath.Join(dir, TokenFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("token file mode %04o, want 0600", perm)
	}
	again, err := EnsureToken(dir)
	if err != nil || again != tok {
		t.Fatalf("second start: %q, %v; want the same token", again, err)
	}

	t.Run("loose permissions refused", func(t *testing.T) {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(path, 0o600)
		if _, err := EnsureToken(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("error %v, want a refusal naming chmod 600", err)
		}
	})
	t.Run("empty file refused", func(t *testing.T) {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, TokenFile), []byte("\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := EnsureToken(d); err == nil {
			t.Fatal("an empty token file was accepted")
		}
	})
	t.Run("works with the server", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Token = tok })
		r := e.call("GET", "/v1/services", "", "Authorization", "Bearer "+tok)
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
}
