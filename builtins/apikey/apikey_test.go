package apikey

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/usage"
)

func TestParse(t *testing.T) {
	tests := []struct {
		raw     string
		want    Config
		wantErr string
	}{
		{"true", Config{Enabled: true, Header: DefaultHeader}, ""},
		{" true ", Config{Enabled: true, Header: DefaultHeader}, ""},
		{"", Config{Enabled: true, Header: DefaultHeader}, ""},
		{"{}", Config{Enabled: true, Header: DefaultHeader}, ""},
		{"false", Config{}, ""},
		{`{"header":"X-Partner-Key"}`, Config{Enabled: true, Header: "x-partner-key"}, ""},
		{`{"header":"bad name"}`, Config{}, "header"},
		{`{"header":""}`, Config{}, "header"},
		{`{"headers":"x"}`, Config{}, "unknown field"},
		{`1`, Config{}, "true, false"},
		{`"yes"`, Config{}, "true, false"},
		{`[true]`, Config{}, "true, false"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := Parse(json.RawMessage(tt.raw))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestRegisteredAndValidated(t *testing.T) {
	if err := abi.Default().ValidatePlugin("/a", "GET", Type, "request", json.RawMessage(`true`)); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	if err := abi.Default().ValidatePlugin("/a", "", Type, "response", json.RawMessage(`true`)); err == nil {
		t.Fatal("accepted in the response phase")
	}
	if err := abi.Default().ValidatePlugin("/a", "", Type, "request", json.RawMessage(`{"header":"a b"}`)); err == nil {
		t.Fatal("accepted a bad header name")
	}
}

// testClock is a settable clock for the guard.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

func digest(v string) [32]byte { return sha256.Sum256([]byte(v)) }

const (
	goodKey     = "good-key-value-0123456789abcdef"
	inactiveKey = "inactive-key-value-0123456789ab"
	strangerKey = "stranger-key-value-0123456789ab" // a key without a plan on the stage
	limitedKey  = "limited-key-value-0123456789abc" // 1 rps, 2 requests a day
)

// newGuard serves shop/test: goodKey (no limits), inactiveKey, strangerKey (connected elsewhere) and limitedKey.
func newGuard(c *testClock) *usage.Guard {
	g := usage.New(usage.Config{Now: c.now})
	grant := usage.Grant{ServiceID: "shop", Stage: "test", StageID: 1, PlanID: 1}
	limited := grant
	limited.RPS, limited.Period, limited.Limit = 1, usage.PeriodDay, 2
	elsewhere := grant
	elsewhere.Stage, elsewhere.StageID = "prod", 2
	g.Set(usage.Table{Keys: []usage.Key{
		{ID: 1, Active: true, Hashes: [2][32]byte{digest(goodKey), digest(goodKey + "2")}, Grants: []usage.Grant{grant}},
		{ID: 2, Active: false, Hashes: [2][32]byte{digest(inactiveKey)}, Grants: []usage.Grant{grant}},
		{ID: 3, Active: true, Hashes: [2][32]byte{digest(strangerKey)}, Grants: []usage.Grant{elsewhere}},
		{ID: 4, Active: true, Hashes: [2][32]byte{digest(limitedKey)}, Grants: []usage.Grant{limited}},
	}})
	return g
}

func build(t testing.TB, g *usage.Guard, config string) abi.Plugin {
	t.Helper()
	p, err := abi.Default().Build(Type, abi.BuildContext{ServiceID: "shop", Stage: "test", Path: "/items",
		Method: "GET", Phase: abi.PhaseRequest, Services: map[string]any{usage.ServiceKey: g}}, json.RawMessage(config))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func request(header string, values ...string) memexchange.Request {
	h := http.Header{}
	for _, v := range values {
		h.Add(header, v)
	}
	return memexchange.Request{Method: "GET", URI: "/items", Header: h, Vars: map[string]string{"request.id": "req-1"}}
}

func TestDecisions(t *testing.T) {
	c := &testClock{}
	c.ns.Store(time.Date(2025, 3, 1, 23, 0, 0, 0, time.UTC).UnixNano())
	g := newGuard(c)
	p := build(t, g, `true`)
	custom := build(t, g, `{"header":"X-Partner-Key"}`)
	tests := []struct {
		name       string
		plugin     abi.Plugin
		req        memexchange.Request
		status     uint32 // 0: passed on
		code       string
		retryAfter string
	}{
		{"no header", p, request("x-other", goodKey), 401, CodeMissing, ""},
		{"empty value", p, request(DefaultHeader, "  "), 401, CodeMissing, ""},
		{"unknown key", p, request(DefaultHeader, "not-a-key-value-0000000000000000"), 401, CodeInvalid, ""},
		{"oversized value", p, request(DefaultHeader, strings.Repeat("k", 300)), 401, CodeInvalid, ""},
		{"inactive key", p, request(DefaultHeader, inactiveKey), 403, CodeInactive, ""},
		{"key without a plan on the stage", p, request(DefaultHeader, strangerKey), 403, CodeNotAllowed, ""},
		{"primary value", p, request(DefaultHeader, goodKey), 0, "", ""},
		{"secondary value", p, request(DefaultHeader, goodKey+"2"), 0, "", ""},
		{"header name in another case", p, request("X-NHN-APIKEY", goodKey), 0, "", ""},
		{"value with spaces around", p, request(DefaultHeader, " "+goodKey+" "), 0, "", ""},
		{"first of two values", p, request(DefaultHeader, goodKey, "other"), 0, "", ""},
		{"configured header", custom, request("x-partner-key", goodKey), 0, "", ""},
		{"configured header ignores the default one", custom, request(DefaultHeader, goodKey), 401, CodeMissing, ""},
		{"limited: first", p, request(DefaultHeader, limitedKey), 0, "", ""},
		{"limited: over rps", p, request(DefaultHeader, limitedKey), 429, CodeRPSExceeded, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := memexchange.New(tt.req)
			next, _ := tt.plugin.HandleRequest(ex)
			checkOutcome(t, ex, next, tt.status, tt.code, tt.retryAfter)
		})
	}
	// The quota: one more request a second later, then the day's quota (2) is used up until midnight (1 h).
	c.ns.Add(int64(time.Second))
	ex := memexchange.New(request(DefaultHeader, limitedKey))
	next, _ := p.HandleRequest(ex)
	checkOutcome(t, ex, next, 0, "", "")
	c.ns.Add(int64(time.Second))
	ex = memexchange.New(request(DefaultHeader, limitedKey))
	next, _ = p.HandleRequest(ex)
	checkOutcome(t, ex, next, 429, CodeQuotaExceeded, "3598")
}

func checkOutcome(t *testing.T, ex *memexchange.Exchange, next bool, status uint32, code, retryAfter string) {
	t.Helper()
	resp := ex.Response()
	if status == 0 {
		if !next {
			t.Fatalf("refused with %d %s", resp.Status, resp.Body)
		}
		return
	}
	if next || resp.Status != status {
		t.Fatalf("next=%v status %d, want refused with %d", next, resp.Status, status)
	}
	var body struct {
		Error struct{ Code, Message, RequestID string }
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	if body.Error.Code != code || body.Error.Message == "" || body.Error.RequestID != "req-1" {
		t.Fatalf("body %s, want code %s", resp.Body, code)
	}
	if got := resp.Header.Get("Retry-After"); got != retryAfter {
		t.Fatalf("Retry-After %q, want %q", got, retryAfter)
	}
	for _, v := range []string{goodKey, inactiveKey, strangerKey, limitedKey} {
		if strings.Contains(string(resp.Body), v) {
			t.Fatal("the response shows the key value")
		}
	}
	if len(ex.Logs()) != 0 {
		t.Fatalf("the plugin logged: %v", ex.Logs())
	}
}

func TestOff(t *testing.T) {
	p := build(t, nil, `false`)
	ex := memexchange.New(request("x-other", "x"))
	if next, _ := p.HandleRequest(ex); !next {
		t.Fatal("a switched-off check refused a request")
	}
}

func TestNewNeedsTheGuard(t *testing.T) {
	_, err := abi.Default().Build(Type, abi.BuildContext{ServiceID: "shop", Phase: abi.PhaseRequest}, json.RawMessage(`true`))
	if err == nil || !strings.Contains(err.Error(), "usage guard") {
		t.Fatalf("error %v", err)
	}
}

// BenchmarkAllowed is the plugin's allowed path: header read, SHA-256, table lookup, limits (RPS and quota on).
func BenchmarkAllowed(b *testing.B) {
	g := usage.New(usage.Config{})
	g.Set(usage.Table{Keys: []usage.Key{{ID: 1, Active: true, Hashes: [2][32]byte{digest(goodKey)},
		Grants: []usage.Grant{{ServiceID: "shop", Stage: "test", StageID: 1, RPS: 1 << 30, Period: usage.PeriodDay,
			Limit: 1 << 60}}}}})
	p := build(b, g, `true`)
	req := request(DefaultHeader, goodKey)
	ex := memexchange.New(req)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ex.Reset(req)
		if next, _ := p.HandleRequest(ex); !next {
			b.Fatal("refused")
		}
	}
}

// BenchmarkRefusedUnknown is the cost of a request with a wrong key (answered by the plugin).
func BenchmarkRefusedUnknown(b *testing.B) {
	g := usage.New(usage.Config{})
	p := build(b, g, `true`)
	req := request(DefaultHeader, goodKey)
	ex := memexchange.New(req)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ex.Reset(req)
		p.HandleRequest(ex)
	}
}
