// Command add-header is a Portico plugin that sets one request header before the request goes on to the backend.
//
// Config: {"header": "x-from-wasm", "value": "yes"}
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o add-header.wasm .
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	portico "github.com/portico-gateway/portico/wasm-sdk/go"
)

type config struct {
	Header string `json:"header"`
	Value  string `json:"value"`
}

// cfg is set once per instance by Init and only read afterwards.
var cfg config

func init() {
	portico.HandleRequest(handleRequest)
	portico.Init(parseConfig)
}

func parseConfig(raw []byte) error {
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return fmt.Errorf("add-header: config: %w", err)
	}
	if c.Header == "" || strings.ContainsAny(c.Header, " \t\r\n:\x00") {
		return errors.New(`add-header: config: "header" must be a header name`)
	}
	if strings.ContainsAny(c.Value, "\r\n\x00") {
		return errors.New(`add-header: config: "value" must not contain CR, LF or NUL`)
	}
	cfg = c
	return nil
}

func handleRequest(req portico.Request, _ portico.Response) (next bool, reqCtx uint32) {
	req.Headers().Set(cfg.Header, cfg.Value)
	return true, 0
}

func main() {} // a reactor: the host calls _initialize (which runs init) and then the handlers
