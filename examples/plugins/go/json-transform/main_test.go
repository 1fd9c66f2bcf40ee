//go:build !wasip1

package main

import (
	"strings"
	"testing"

	"github.com/portico-gateway/portico/wasm-sdk/go/porticotest"
)

const testConfig = `{"drop": ["password"], "rename": {"user": "username"}, "add": {"source": "portico", "n": 1}}`

func TestTransform(t *testing.T) {
	for _, tc := range []struct {
		name        string
		config      string
		contentType string
		body        string
		wantBody    string
		wantStatus  uint32 // 0: passed on
	}{
		{"object", testConfig, "application/json",
			`{"user": "ann", "password": "x", "age": 41.50, "tags": ["<a>"]}`,
			`{"age":41.50,"n":1,"source":"portico","tags":["<a>"],"username":"ann"}`, 0},
		{"array of objects", testConfig, "application/json; charset=utf-8",
			`[{"user": "a"}, 7, {"password": "p"}]`,
			`[{"n":1,"source":"portico","username":"a"},7,{"n":1,"source":"portico"}]`, 0},
		{"vendor media type", testConfig, "application/vnd.api+json", `{}`, `{"n":1,"source":"portico"}`, 0},
		{"scalar JSON left alone", testConfig, "application/json", ` "text" `, ` "text" `, 0},
		{"empty body", testConfig, "application/json", ``, ``, 0},
		{"not JSON content type", testConfig, "text/plain", `{"password": "x"}`, `{"password": "x"}`, 0},
		{"no content type", testConfig, "", `{"password": "x"}`, `{"password": "x"}`, 0},
		{"invalid JSON passed on", testConfig, "application/json", `{"password": `, `{"password": `, 0},
		{"invalid JSON rejected", `{"rejectInvalid": true}`, "application/json", `{"password": `, "", 400},
		{"too large", `{"maxBytes": 10, "drop": ["a"]}`, "application/json", `{"a": 1, "b": 22222}`, `{"a": 1, "b": 22222}`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &porticotest.Host{
				Config:        []byte(tc.config),
				Method:        "POST",
				RequestHeader: porticotest.Header{},
				RequestBody:   []byte(tc.body),
			}
			if tc.contentType != "" {
				h.RequestHeader["content-type"] = []string{tc.contentType}
			}
			next, _ := h.HandleRequest()
			if tc.wantStatus != 0 {
				if next || h.StatusCode != tc.wantStatus || !strings.Contains(string(h.ResponseBody), `"code":"invalid_json_body"`) {
					t.Fatalf("next %v, status %d, body %s", next, h.StatusCode, h.ResponseBody)
				}
				return
			}
			if !next || string(h.RequestBody) != tc.wantBody {
				t.Fatalf("next %v, backend body %s\nwant %s", next, h.RequestBody, tc.wantBody)
			}
		})
	}
}

func TestChainedRenamesAreDeterministic(t *testing.T) {
	c, err := parseConfig([]byte(`{"rename": {"a": "b", "b": "c"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		out, _ := c.transform([]byte(`{"a": 1}`))
		if string(out) != `{"c":1}` {
			t.Fatalf("got %s", out)
		}
	}
}

func TestBadConfig(t *testing.T) {
	for _, config := range []string{`{"drop": "password"}`, `{"maxBytes": -1}`, `{"add": {"a": }}`, `{"rename": {"a": ""}}`, `{"unknown": 1}`} {
		if err := (&porticotest.Host{Config: []byte(config)}).Init(); err == nil {
			t.Errorf("config %s accepted", config)
		}
	}
	if err := (&porticotest.Host{}).Init(); err != nil {
		t.Errorf("no config: %v", err)
	}
}

func FuzzTransform(f *testing.F) {
	f.Add(`{"user": "ann", "password": "x"}`)
	f.Add(`[{"a": 1}, 2]`)
	c, err := parseConfig([]byte(testConfig))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		out, err := c.transform([]byte(body))
		if err == nil && out != nil && !strings.Contains(string(out), `"source":"portico"`) {
			t.Fatalf("transformed %q into %q without the added field", body, out)
		}
	})
}
