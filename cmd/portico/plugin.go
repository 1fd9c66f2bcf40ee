package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/plugintest"
	"github.com/portico-gateway/portico/runtime/scaffold"
)

// runPlugin is the plugin developer loop: `plugin new` scaffolds a project, `plugin test` runs a module against a
// sample request without a server.
func runPlugin(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("plugin needs new or test")
	}
	switch args[0] {
	case "new":
		return runPluginNew(args[1:], stdout)
	case "test":
		return runPluginTest(ctx, args[1:], stdout)
	}
	return usagef("plugin: use `plugin new --lang go|c|assemblyscript NAME` or `plugin test FILE.wasm --request 'GET /path'`")
}

func runPluginNew(args []string, stdout io.Writer) error {
	fs := newFlagSet("plugin new")
	lang := fs.String("lang", "go", "go, c or assemblyscript")
	dir := fs.String("dir", "", "project directory (default ./NAME)")
	sdk := fs.String("sdk", "", "Go only: path of the Go SDK (wasm-sdk/go of a Portico checkout; found automatically)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("plugin new needs a NAME")
	}
	if *dir == "" {
		*dir = pos[0]
	}
	files, err := scaffold.New(scaffold.Options{Dir: *dir, Name: pos[0], Lang: *lang, GoSDK: *sdk})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s plugin %s in %s (%d files)\nnext: cd %s && ./build.sh && portico plugin test %s.wasm --config '{\"header\":\"x-hello\",\"value\":\"world\"}' --request 'GET /'\n",
		*lang, pos[0], *dir, len(files), *dir, pos[0])
	return nil
}

func runPluginTest(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("plugin test")
	config := fs.String("config", "", "the plugin's config (JSON), as get_config returns it")
	request := fs.String("request", "GET /", "the sample request: 'METHOD /path?query'")
	var headers stringList
	fs.Var(&headerList{&headers}, "H", "a request header 'Name: value' (repeatable)")
	bodyFile := fs.String("body", "", "a file with the request body")
	clientIP := fs.String("client-ip", "203.0.113.10", "the client's IP")
	backendStatus := fs.Int("backend-status", 200, "the status the simulated backend answers with")
	backendBody := fs.String("backend-body", "", "the body the simulated backend answers with")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("plugin test needs FILE.wasm")
	}
	wasm, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("read module: %w", err)
	}
	method, uri, err := plugintest.ParseRequestLine(*request)
	if err != nil {
		return usagef("--request: %v", err)
	}
	req := memexchange.Request{Method: method, URI: uri, Header: http.Header{}, SourceAddr: *clientIP + ":50000",
		Vars: map[string]string{"request.clientIp": *clientIP, "request.id": "plugin-test", "stage.name": "test"}}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return usagef("-H %q: write it as 'Name: value'", h)
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if *bodyFile != "" {
		if req.Body, err = os.ReadFile(*bodyFile); err != nil {
			return fmt.Errorf("read body: %w", err)
		}
	}
	res, err := plugintest.Run(ctx, plugintest.Case{WASM: wasm, Config: []byte(*config), Request: req,
		Backend: memexchange.Response{Status: uint32(*backendStatus), Body: []byte(*backendBody), Header: http.Header{}}}, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	plugintest.Print(stdout, res)
	return nil
}

// headerList collects -H values whole (a header value may contain commas, which stringList would split).
type headerList struct{ list *stringList }

func (h *headerList) String() string { return "" }

func (h *headerList) Set(v string) error {
	*h.list = append(*h.list, v)
	return nil
}
