// Package e2e runs Portico end to end: a real node (SQLite file, gateway and admin listeners on loopback) driven
// through the admin API and called over real sockets.
package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portico-gateway/portico/config"
	"github.com/portico-gateway/portico/runtime/admin"
	"github.com/portico-gateway/portico/runtime/node"
)

// startNode starts a node in dir on ephemeral loopback ports and stops it when the test ends.
func startNode(t *testing.T, dir string, mutate ...func(*node.Config)) *node.Node {
	t.Helper()
	cfg := node.Config{
		DataDir:     dir,
		Listen:      []string{"127.0.0.1:0"},
		AdminListen: "127.0.0.1:0",
		Version:     "e2e",
		Logger:      testLogger(),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	n, err := node.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = n.Shutdown(ctx)
	})
	return n
}

func clientOf(n *node.Node) *admin.Client { return admin.NewClient(n.AdminURL(), n.Token()) }

// applyYAML parses a YAML document and applies it through the admin API, as `portico apply -f` does.
func applyYAML(t *testing.T, c *admin.Client, yamlText string) config.Result {
	t.Helper()
	doc, err := config.Parse("test.yaml", []byte(yamlText))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var res config.Result
	if err := c.Do(context.Background(), http.MethodPost, "/v1/apply", doc, &res); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

// tryApply is applyYAML returning the error.
func tryApply(c *admin.Client, yamlText string) error {
	doc, err := config.Parse("test.yaml", []byte(yamlText))
	if err != nil {
		return err
	}
	var res config.Result
	return c.Do(context.Background(), http.MethodPost, "/v1/apply", doc, &res)
}

func deploy(t *testing.T, c *admin.Client, svc, stage, msg string) int64 {
	t.Helper()
	d, err := c.Deploy(context.Background(), svc, stage, msg, true)
	if err != nil {
		t.Fatalf("deploy %s/%s: %v", svc, stage, err)
	}
	return d.ID
}

// response is what a gateway call returned.
type response struct {
	Status int
	Header http.Header
	Body   string
}

var httpClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// call sends method+path to the gateway at addr with the given Host header.
func call(t *testing.T, addr, host, method, path string, hdr ...string) response {
	t.Helper()
	r, err := tryCall(addr, host, method, path, hdr...)
	if err != nil {
		t.Fatalf("%s %s (Host %s): %v", method, path, host, err)
	}
	return r
}

func tryCall(addr, host, method, path string, hdr ...string) (response, error) {
	req, err := http.NewRequest(method, "http://"+addr+"/", nil)
	if err != nil {
		return response{}, err
	}
	// Opaque sends the path exactly as written, even malformed escapes the gateway must reject itself.
	req.URL.Opaque, req.URL.RawQuery, _ = strings.Cut(path, "?")
	req.Host = host
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}, nil
}

// gatewayError decodes the gateway's JSON error body.
func gatewayError(t *testing.T, r response) (code, requestID string) {
	t.Helper()
	var body struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"requestId"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
		t.Fatalf("error body is not JSON: %q", r.Body)
	}
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("error body lacks code or message: %q", r.Body)
	}
	return body.Error.Code, body.Error.RequestID
}

func expectStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status = %d, want %d; body %q", r.Status, want, r.Body)
	}
}

func expectContains(t *testing.T, s, want string) {
	t.Helper()
	if !strings.Contains(s, want) {
		t.Fatalf("%q does not contain %q", s, want)
	}
}

// testLogger discards the node's log unless PORTICO_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("PORTICO_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
