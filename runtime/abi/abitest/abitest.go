// Package abitest is the conformance suite of abi.Exchange implementations: the gateway's fasthttp exchange, the
// in-memory one (memexchange) and any later one (an HTTP/2 listener's) run the same cases, so a plugin behaves the
// same wherever it runs.
//
// An implementation provides a Harness factory and calls Run from a test:
//
//	func TestConformance(t *testing.T) {
//		abitest.Run(t, func(t *testing.T, req abitest.Request) abitest.Harness { return newHarness(t, req) })
//	}
//
// The suite pins down the rules wasm-sdk/ABI.md states: which calls are refused before and after next, feature
// flags, header validation, body buffering and the "first write replaces, later writes append" rule.
package abitest

import (
	"net/http"

	"github.com/portico-gateway/portico/runtime/abi"
)

// Request is the request a case starts from.
type Request struct {
	Method     string
	URI        string // path and query as sent, e.g. "/a%26b?x=1"
	Protocol   string // "HTTP/1.1"
	Header     http.Header
	Trailer    http.Header
	Body       []byte
	SourceAddr string // "ip:port"
	// Vars are context variables the exchange must resolve to these values (the harness arranges it: a route
	// with path variables, a request ID, …). The suite only uses names it puts here.
	Vars map[string]string
}

// Response is a backend's answer or what the client gets.
type Response struct {
	Status  uint32
	Header  http.Header
	Trailer http.Header
	Body    []byte
}

// Harness is one exchange under test and the levers a plugin chain pulls around it.
type Harness interface {
	// Exchange is the exchange under test, holding the case's request, before next.
	Exchange() abi.Exchange
	// Enter starts a new plugin handler call: its first write_body replaces a body, and it reads bodies from
	// their start.
	Enter()
	// Next passes the request on: the backend receives the request as it is now and answers resp; the exchange
	// is then after next, in a new handler call.
	Next(resp Response)
	// Backend is the request the backend received (after Next).
	Backend() Request
	// Client is the response the client gets if the chain ended now.
	Client() Response
}
