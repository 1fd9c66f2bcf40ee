package query

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/internal/allocguard"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/router"
)

func mustParse(t testing.TB, raw string) *Plugin {
	t.Helper()
	segs, err := router.ParsePath("/items/{id}")
	if err != nil {
		t.Fatal(err)
	}
	p, err := parse(json.RawMessage(raw), segs)
	if err != nil {
		t.Fatalf("parse(%s): %v", raw, err)
	}
	return p
}

func TestConfigErrors(t *testing.T) {
	segs, _ := router.ParsePath("/items/{id}")
	for _, tc := range []struct{ raw, want string }{
		{`{}`, "add: give 1 to 64 parameters"},
		{`{"add":{}}`, "add: give 1 to 64 parameters"},
		{`{"set":{"a":"1"}}`, `unknown field "set"`},
		{`{"add":{"":"1"}}`, "a parameter name is empty"},
		{`{"add":{"a":"${request.path.nope}"}}`, "add.a:"},
		{`not json`, "config:"},
	} {
		_, err := parse(json.RawMessage(tc.raw), segs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parse(%s) = %v, want an error containing %q", tc.raw, err, tc.want)
		}
	}
}

func TestAppendsParameters(t *testing.T) {
	p := mustParse(t, `{"add":{"src":"portico","item":"${request.path.id}","q x":"c&d=e"}}`)
	for _, tc := range []struct{ uri, want string }{
		{"/items/42", "/items/42?item=42&q+x=c%26d%3De&src=portico"},
		{"/items/42?a=1", "/items/42?a=1&item=42&q+x=c%26d%3De&src=portico"},
		{"/items/42?", "/items/42?item=42&q+x=c%26d%3De&src=portico"},
		{"/items/42?src=client", "/items/42?src=client&item=42&q+x=c%26d%3De&src=portico"}, // the client's is kept
	} {
		ex := memexchange.New(memexchange.Request{URI: tc.uri, Vars: map[string]string{"request.path.id": "42"}})
		if next, _ := p.HandleRequest(ex); !next {
			t.Fatal("the query-param plugin must pass the request on")
		}
		if got := string(ex.URI()); got != tc.want {
			t.Errorf("%s → %s, want %s", tc.uri, got, tc.want)
		}
	}
}

// BenchmarkQueryParam appends a literal and a context-variable parameter to a URI with a query, on a reused
// exchange.
func BenchmarkQueryParam(b *testing.B) {
	p := mustParse(b, `{"add":{"src":"portico","item":"${request.path.id}"}}`)
	req := memexchange.Request{URI: "/items/42?a=1", Vars: map[string]string{"request.path.id": "42"}}
	ex := memexchange.New(req)
	b.ReportAllocs()
	for b.Loop() {
		ex.Reset(req)
		p.HandleRequest(ex)
	}
}

// TestNoAllocations: the plugin runs on every request of its routes, so it must not allocate (its buffers are
// pooled: a stack array handed to the exchange would escape).
func TestNoAllocations(t *testing.T) {
	allocguard.SkipUnderRace(t)
	p := mustParse(t, `{"add":{"src":"portico","item":"${request.path.id}"}}`)
	req := memexchange.Request{URI: "/items/42?a=1", Vars: map[string]string{"request.path.id": "42"}}
	ex := memexchange.New(req)
	p.HandleRequest(ex)
	if got := testing.AllocsPerRun(200, func() { ex.Reset(req); p.HandleRequest(ex) }); got > 0 {
		t.Fatalf("%.1f allocations per request, want 0", got)
	}
}
