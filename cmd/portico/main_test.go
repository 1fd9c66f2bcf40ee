package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/node"
)

func startTestNode(t *testing.T) (*node.Node, string) {
	t.Helper()
	dir := t.TempDir()
	n, err := node.Start(context.Background(), node.Config{DataDir: dir, Listen: []string{"127.0.0.1:0"},
		AdminListen: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	return n, dir
}

// cli runs the CLI with the node's server and data dir (for the token file) and returns its output.
func cli(t *testing.T, n *node.Node, dir string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	full := append([]string{args[0], "--server", n.AdminURL(), "--data", dir}, args[1:]...)
	err := run(context.Background(), full, &out, io.Discard)
	return out.String(), err
}

func mustCLI(t *testing.T, n *node.Node, dir string, args ...string) string {
	t.Helper()
	out, err := cli(t, n, dir, args...)
	if err != nil {
		t.Fatalf("portico %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func TestCLIApplyDeployHistoryRollback(t *testing.T) {
	n, dir := startTestNode(t)
	file := "../../examples/config/shop.yaml"

	out := mustCLI(t, n, dir, "apply", "-f", file, "--dry-run")
	if !strings.Contains(out, "created    service shop") || !strings.Contains(out, "dry run") {
		t.Fatalf("dry run output:\n%s", out)
	}
	if out := mustCLI(t, n, dir, "export"); strings.Contains(out, "shop0001") {
		t.Fatalf("the dry run changed something:\n%s", out)
	}
	mustCLI(t, n, dir, "apply", "-f", file)
	if out := mustCLI(t, n, dir, "apply", "-f", file); strings.Contains(out, "created") || strings.Contains(out, "updated") {
		t.Fatalf("second apply changed something:\n%s", out)
	}

	// Flags after the positional arguments, as the README writes them.
	out = mustCLI(t, n, dir, "deploy", "shop", "test", "-m", "first release")
	if !strings.Contains(out, "deployed shop0001 stage test as deployment") {
		t.Fatalf("deploy output: %q", out)
	}
	mustCLI(t, n, dir, "deploy", "shop", "test", "-m", "second", "--no-apply")
	out = mustCLI(t, n, dir, "history", "shop", "test")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "second") || !strings.Contains(lines[2], "first release") {
		t.Fatalf("history:\n%s", out)
	}
	firstID := strings.Fields(lines[2])[0]
	out = mustCLI(t, n, dir, "rollback", "shop", "test", firstID)
	if !strings.Contains(out, "--no-apply") {
		t.Fatalf("rollback output: %q", out)
	}
	out = mustCLI(t, n, dir, "status")
	if !strings.Contains(out, "shop0001") || !strings.Contains(out, "http://shop0001-test.localhost:") {
		t.Fatalf("status:\n%s", out)
	}

	// The default stage under both of its CLI names.
	mustCLI(t, n, dir, "deploy", "shop", "default")
	if out := mustCLI(t, n, dir, "history", "shop", ""); !strings.Contains(out, "SUCCESS") {
		t.Fatalf("default stage history:\n%s", out)
	}

	out = mustCLI(t, n, dir, "domains", "add", "api.example.com", "shop", "test", "--base-path", "/shop")
	if !strings.Contains(out, "api.example.com now serves shop0001 stage test") {
		t.Fatalf("domains add: %q", out)
	}
	if out := mustCLI(t, n, dir, "domains", "ls"); !strings.Contains(out, "/shop") {
		t.Fatalf("domains ls:\n%s", out)
	}
	mustCLI(t, n, dir, "domains", "rm", "api.example.com")
	if out := mustCLI(t, n, dir, "domains", "ls"); strings.Contains(out, "api.example.com") {
		t.Fatalf("domain not removed:\n%s", out)
	}

	exported := filepath.Join(t.TempDir(), "export.yaml")
	mustCLI(t, n, dir, "export", "-o", exported)
	if out := mustCLI(t, n, dir, "apply", "-f", exported); strings.Contains(out, "updated") {
		t.Fatalf("re-applying the export changed something:\n%s", out)
	}
}

func TestCLIErrors(t *testing.T) {
	n, dir := startTestNode(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("services:\n  - name: x\n    resorces: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	undeclared := filepath.Join(t.TempDir(), "undeclared.yaml")
	if err := os.WriteFile(undeclared, []byte("services:\n  - name: x\n    resources:\n      /a: { methods: { GET: { backend: { type: http, path: \"/${request.path.id}\" } } } }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		want  string
		usage bool
	}{
		{"unknown field names file and line", []string{"apply", "-f", bad}, "bad.yaml:3: field resorces not found", false},
		{"undeclared variable names the field", []string{"apply", "-f", undeclared}, "services[0].resources", false},
		{"missing file", []string{"apply", "-f", "/nonexistent.yaml"}, "no such file", false},
		{"apply without -f", []string{"apply"}, "apply needs -f FILE", true},
		{"deploy arity", []string{"deploy", "shop"}, "deploy needs SERVICE and STAGE", true},
		{"rollback id", []string{"rollback", "shop", "test", "abc"}, "DEPLOYMENT must be a deployment ID", true},
		{"unknown service", []string{"deploy", "nope", "test"}, "not_found", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cli(t, n, dir, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			var ue usageError
			if errors.As(err, &ue) != tt.usage {
				t.Fatalf("usage error = %v, want %v", !tt.usage, tt.usage)
			}
		})
	}
	if err := run(context.Background(), []string{"status", "--server", n.AdminURL(), "--token", "wrong"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "unauthorized") {
		t.Fatalf("wrong token: %v", err)
	}
}

// TestServeDemo runs `portico serve --demo` as the README's quick start does and calls the printed URLs.
func TestServeDemo(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--data", dir, "--listen", "127.0.0.1:0",
			"--admin-listen", "127.0.0.1:0", "--demo-backend", "127.0.0.1:0", "--log-level", "error"}, &out, io.Discard)
	}()
	var banner string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if banner = out.String(); strings.Contains(banner, "healthz") {
			break
		}
	}
	var curls []string
	for _, line := range strings.Split(banner, "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "curl ") {
			curls = append(curls, strings.Trim(strings.TrimPrefix(line, "curl "), "'"))
		}
	}
	if len(curls) != 4 {
		t.Fatalf("banner has %d curl commands:\n%s", len(curls), banner)
	}
	for _, u := range curls {
		resp, err := getVia(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: status %d", u, resp.StatusCode)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(35 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// getVia fetches a URL whose host may be a *.localhost name: it connects to loopback and sends the host as Host,
// as curl does for *.localhost.
func getVia(rawURL string) (*http.Response, error) {
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		return nil, err
	}
	host := req.URL.Host
	if h, port, ok := strings.Cut(host, ":"); ok && strings.HasSuffix(h, ".localhost") {
		req.URL.Host = "127.0.0.1:" + port
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// syncBuffer is a bytes.Buffer safe for one writer goroutine and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestFlagsBeforeTheCommand(t *testing.T) {
	n, dir := startTestNode(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--server", n.AdminURL(), "--data", dir, "status"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ready=true") {
		t.Fatalf("status output %q", out.String())
	}
}
