//go:build !wasip1

package main

import (
	"testing"

	"github.com/portico-gateway/portico/wasm-sdk/go/porticotest"
)

func TestAddHeader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before porticotest.Header
		want   []string
	}{
		{"absent", nil, []string{"yes"}},
		{"replaced", porticotest.Header{"X-From-Wasm": {"no", "maybe"}}, []string{"yes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &porticotest.Host{
				Config:        []byte(`{"header": "x-from-wasm", "value": "yes"}`),
				RequestHeader: tc.before,
			}
			if !h.Run(nil) {
				t.Fatal("the request did not reach the backend")
			}
			if got := h.RequestHeader.Values("x-from-wasm"); len(got) != 1 || got[0] != tc.want[0] {
				t.Fatalf("x-from-wasm = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAddHeaderBadConfig(t *testing.T) {
	for _, config := range []string{``, `{}`, `{"header": "x a"}`, `{"header": "x", "value": "a\nb: c"}`, `[1]`} {
		if err := (&porticotest.Host{Config: []byte(config)}).Init(); err == nil {
			t.Errorf("config %q accepted", config)
		}
	}
}

func BenchmarkAddHeader(b *testing.B) {
	h := &porticotest.Host{Config: []byte(`{"header": "x-from-wasm", "value": "yes"}`)}
	for b.Loop() {
		h.HandleRequest()
	}
}
