// Command json-transform is a Portico plugin that rewrites JSON request bodies: it drops, renames and adds
// top-level fields of a JSON object (or of each object in a JSON array) before the request reaches the backend.
// Bodies that are not JSON pass through untouched.
//
// Config: {"drop": ["password"], "rename": {"old": "new"}, "add": {"source": "portico"}}
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o json-transform.wasm .
package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	portico "github.com/portico-gateway/portico/wasm-sdk/go"
)

func init() {
	portico.HandleRequest(handleRequest)
	portico.Init(func(raw []byte) error {
		c, err := parseConfig(raw)
		if err != nil {
			return fmt.Errorf("json-transform: config: %w", err)
		}
		cfg = c
		return nil
	})
}

func handleRequest(req portico.Request, resp portico.Response) (next bool, reqCtx uint32) {
	if ct, _ := req.Headers().Get("content-type"); !isJSON(ct) {
		return true, 0
	}
	if cl, ok := req.Headers().Get("content-length"); ok {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n > cfg.MaxBytes {
			return true, 0 // too large to transform: passed on as it is
		}
	}
	// Buffering keeps the body intact for the backend when the plugin reads it but leaves it alone.
	portico.EnableFeatures(portico.FeatureBufferRequest)
	body, err := io.ReadAll(io.LimitReader(req.Body(), cfg.MaxBytes+1))
	if err != nil || int64(len(body)) > cfg.MaxBytes {
		return true, 0
	}
	out, err := cfg.transform(body)
	switch {
	case err != nil && cfg.RejectInvalid:
		reject(resp, err)
		return false, 0
	case err != nil:
		if portico.LogEnabled(portico.LogDebug) {
			portico.Log(portico.LogDebug, "json-transform: body left alone: "+err.Error())
		}
	case out != nil:
		req.Body().Write(out) // the first write replaces the body; the host sets Content-Length
	}
	return true, 0
}

// isJSON accepts application/json and any application/*+json media type, with or without parameters.
func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// reject answers 400 with the gateway's error shape.
func reject(resp portico.Response, cause error) {
	id, _ := portico.ContextVar("request.id")
	resp.Headers().Set("content-type", "application/json") // before the status, as ip-block explains
	resp.SetStatusCode(400)
	resp.Body().Write(errorBody("invalid_json_body", "The request body is not valid JSON: "+cause.Error(), id))
}

func main() {} // a reactor: the host calls _initialize (which runs init) and then the handlers
