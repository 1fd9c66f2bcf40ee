//go:build !wasip1

package main

import (
	"testing"

	"github.com/portico-gateway/portico/wasm-sdk/go/porticotest"
)

const testConfig = `{"block": ["203.0.113.0/24", "198.51.100.7", "2001:db8::/32", "::ffff:192.0.2.0/120"]}`

func TestIPBlock(t *testing.T) {
	for _, tc := range []struct {
		ip      string
		blocked bool
	}{
		{"203.0.113.9", true},
		{"203.0.114.1", false},
		{"198.51.100.7", true},
		{"198.51.100.8", false},
		{"::ffff:203.0.113.9", true}, // IPv4-mapped IPv6 matches the IPv4 range
		{"192.0.2.200", true},        // IPv4 range written as IPv4-mapped IPv6
		{"2001:db8:1::5", true},
		{"2001:db9::1", false},
		{"fe80::1%eth0", false},
		{"not-an-ip", true}, // fail closed
	} {
		t.Run(tc.ip, func(t *testing.T) {
			h := &porticotest.Host{
				Config: []byte(testConfig),
				Vars:   map[string]string{"request.clientIp": tc.ip, "request.id": "req-1"},
			}
			next, _ := h.HandleRequest()
			if next == tc.blocked {
				t.Fatalf("passed on: %v, want %v", next, !tc.blocked)
			}
			if !tc.blocked {
				return
			}
			want := `{"error":{"code":"ip_blocked","message":"Access from your IP address is not allowed.","requestId":"req-1"}}`
			if h.StatusCode != 403 || h.ResponseHeader.Get("content-type") != "application/json" || string(h.ResponseBody) != want {
				t.Fatalf("answer %d %v %s", h.StatusCode, h.ResponseHeader, h.ResponseBody)
			}
		})
	}
}

func TestIPBlockCustomAnswer(t *testing.T) {
	h := &porticotest.Host{
		Config:     []byte(`{"block": ["10.0.0.0/8"], "status": 451, "message": "Nope \"here\""}`),
		SourceAddr: "10.1.2.3:5000", // request.clientIp defaults to the source address's IP
	}
	if next, _ := h.HandleRequest(); next || h.StatusCode != 451 ||
		string(h.ResponseBody) != `{"error":{"code":"ip_blocked","message":"Nope \"here\"","requestId":"test-request"}}` {
		t.Fatalf("next %v, %d %s", next, h.StatusCode, h.ResponseBody)
	}
}

func TestIPBlockBadConfig(t *testing.T) {
	for _, config := range []string{``, `{"block": ["10.0.0.0/33"]}`, `{"block": ["nope"]}`, `{"status": 200}`, `{"blocks": []}`} {
		if err := (&porticotest.Host{Config: []byte(config)}).Init(); err == nil {
			t.Errorf("config %q accepted", config)
		}
	}
}

func BenchmarkIPBlock(b *testing.B) {
	h := &porticotest.Host{Config: []byte(testConfig), Vars: map[string]string{"request.clientIp": "192.168.1.1"}}
	for b.Loop() {
		h.HandleRequest()
	}
}
