// Package plugintest runs a WASM plugin against one sample request without a server, the way the gateway would:
// `portico plugin test FILE.wasm --request 'GET /path'` prints the request the backend would get and the response
// the client gets.
package plugintest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/kv"
	"github.com/portico-gateway/portico/runtime/wasmhost"
)

// Case is one run.
type Case struct {
	WASM    []byte
	Config  []byte // what the guest reads with get_config
	Request memexchange.Request
	// Backend is the response the simulated backend gives if the plugin passes the request on.
	Backend memexchange.Response
}

// Result is what happened.
type Result struct {
	// Passed says whether the plugin passed the request on to the backend.
	Passed bool
	// BackendRequest is the request the backend received (zero when not Passed).
	BackendRequest memexchange.Request
	// Response is what the client gets.
	Response memexchange.Response
	Logs     []memexchange.LogEntry
}

// Run validates and instantiates the module and runs the request through it.
func Run(ctx context.Context, c Case, logger *slog.Logger) (Result, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := wasmhost.Validate(ctx, c.WASM); err != nil {
		return Result{}, err
	}
	rt, err := wasmhost.New(ctx, wasmhost.Config{Logger: logger})
	if err != nil {
		return Result{}, err
	}
	defer rt.Close(ctx)
	mod, err := rt.Compile(ctx, "plugin", c.WASM)
	if err != nil {
		return Result{}, err
	}
	p, err := mod.NewPlugin(ctx, wasmhost.PluginConfig{Name: "plugin", Config: c.Config, MinInstances: 1, MaxInstances: 1})
	if err != nil {
		return Result{}, fmt.Errorf("instantiate: %w", err)
	}
	defer p.Close()

	ex := memexchange.New(c.Request)
	ex.KV = kv.NewMemory(1024)
	ex.Namespace = []byte("plugin-test")
	ex.Logger = logger
	ex.Enter()
	next, reqCtx := p.HandleRequest(ex)
	res := Result{Passed: next}
	if next {
		ex.SetNext()
		res.BackendRequest = ex.Request()
		ex.SetBackendResponse(c.Backend)
		ex.Enter()
		p.HandleResponse(ex, reqCtx, false)
	}
	res.Response = ex.Response()
	res.Logs = ex.Logs()
	return res, nil
}

// ParseRequestLine reads "METHOD /path?query" (the method defaults to GET).
func ParseRequestLine(s string) (method, uri string, err error) {
	fields := strings.Fields(s)
	switch len(fields) {
	case 1:
		method, uri = "GET", fields[0]
	case 2:
		method, uri = strings.ToUpper(fields[0]), fields[1]
	default:
		return "", "", fmt.Errorf("request %q: write it as 'METHOD /path?query'", s)
	}
	if !strings.HasPrefix(uri, "/") {
		return "", "", fmt.Errorf("request %q: the URI must start with /", s)
	}
	return method, uri, nil
}

// Print writes a result for a person.
func Print(w io.Writer, res Result) {
	if res.Passed {
		r := res.BackendRequest
		fmt.Fprintf(w, "--> request the backend receives\n%s %s %s\n", r.Method, r.URI, r.Protocol)
		printHeader(w, r.Header)
		printBody(w, r.Body)
	} else {
		fmt.Fprintf(w, "--> the plugin answered itself; the backend is not called\n")
	}
	fmt.Fprintf(w, "\n<-- response the client gets\n%d %s\n", res.Response.Status, http.StatusText(int(res.Response.Status)))
	printHeader(w, res.Response.Header)
	printBody(w, res.Response.Body)
	if len(res.Logs) > 0 {
		fmt.Fprintf(w, "\nplugin log:\n")
		for _, l := range res.Logs {
			fmt.Fprintf(w, "  [%d] %s\n", l.Level, l.Message)
		}
	}
}

func printHeader(w io.Writer, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
}

func printBody(w io.Writer, b []byte) {
	if len(b) > 0 {
		fmt.Fprintf(w, "\n%s\n", b)
	}
}
