package abitest

import (
	"strconv"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
)

// testCase edits the base request (when edit is set) and runs against a fresh harness.
type testCase struct {
	name string
	edit func(r *Request)
	run  func(t *testing.T, h Harness)
}

// Run runs every conformance case, each against a fresh harness holding its request.
func Run(t *testing.T, newHarness func(t *testing.T, req Request) Harness) {
	groups := [][]testCase{requestLineCases, headerCases, trailerCases, bodyCases, statusCases, extensionCases}
	for _, group := range groups {
		for _, c := range group {
			t.Run(c.name, func(t *testing.T) {
				req := baseRequest()
				if c.edit != nil {
					c.edit(&req)
				}
				c.run(t, newHarness(t, req))
			})
		}
	}
}

var requestLineCases = []testCase{
	{"get_method", nil, func(t *testing.T, h Harness) {
		wantEqual(t, "Method", string(h.Exchange().Method()), "POST")
	}},
	{"set_method before next reaches the backend", nil, func(t *testing.T, h Harness) {
		must(t, "SetMethod", h.Exchange().SetMethod([]byte("PUT")))
		wantEqual(t, "Method", string(h.Exchange().Method()), "PUT")
		h.Next(backendResponse())
		wantEqual(t, "backend method", h.Backend().Method, "PUT")
	}},
	{"set_method refuses a non-token", nil, func(t *testing.T, h Harness) {
		for _, m := range []string{"", "GE T", "GET\r\n", "GE\x00T", "GET:"} {
			wantErr(t, "SetMethod "+strconv.Quote(m), h.Exchange().SetMethod([]byte(m)), abi.ErrInvalid)
		}
		wantEqual(t, "Method", string(h.Exchange().Method()), "POST")
	}},
	{"set_method after next", nil, func(t *testing.T, h Harness) {
		h.Next(backendResponse())
		wantErr(t, "SetMethod", h.Exchange().SetMethod([]byte("PUT")), abi.ErrAfterNext)
		wantEqual(t, "backend method", h.Backend().Method, "POST")
	}},
	{"get_uri keeps the escaping and the query", nil, func(t *testing.T, h Harness) {
		wantEqual(t, "URI", string(h.Exchange().URI()), "/items/42?q=a%26b")
	}},
	{"set_uri before next reaches the backend", nil, func(t *testing.T, h Harness) {
		must(t, "SetURI", h.Exchange().SetURI([]byte("/other%26x?y=1")))
		wantEqual(t, "URI", string(h.Exchange().URI()), "/other%26x?y=1")
		h.Next(backendResponse())
		wantEqual(t, "backend URI", h.Backend().URI, "/other%26x?y=1")
	}},
	{"set_uri refuses what could escape the backend path or split the request line", nil,
		func(t *testing.T, h Harness) {
			for _, u := range []string{"", "relative", "?q=1", "/a b", "/a\r\nb", "/a\x00", "/../etc", "/a/%2e%2e/b",
				"/a/./b", "/a#frag"} {
				wantErr(t, "SetURI "+strconv.Quote(u), h.Exchange().SetURI([]byte(u)), abi.ErrInvalid)
			}
			wantEqual(t, "URI", string(h.Exchange().URI()), "/items/42?q=a%26b")
		}},
	{"set_uri after next", nil, func(t *testing.T, h Harness) {
		h.Next(backendResponse())
		wantErr(t, "SetURI", h.Exchange().SetURI([]byte("/x")), abi.ErrAfterNext)
		wantEqual(t, "backend URI", h.Backend().URI, "/items/42?q=a%26b")
	}},
	{"get_protocol_version", nil, func(t *testing.T, h Harness) {
		wantEqual(t, "ProtocolVersion", string(h.Exchange().ProtocolVersion()), "HTTP/1.1")
	}},
	{"get_source_addr", nil, func(t *testing.T, h Harness) {
		wantEqual(t, "SourceAddr", string(h.Exchange().SourceAddr()), "203.0.113.7:4242")
	}},
}

var headerCases = []testCase{
	{"get_header_names: lower case, each name once", nil, func(t *testing.T, h Harness) {
		names := headerNames(t, h.Exchange(), abi.HeaderRequest)
		wantContains(t, "request header names", names, "x-one", "x-multi", "content-type")
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				t.Fatalf("name %q listed twice in %q", n, names)
			}
			seen[n] = true
			for _, c := range []byte(n) {
				if 'A' <= c && c <= 'Z' {
					t.Fatalf("name %q is not lower case", n)
				}
			}
		}
	}},
	{"get_header_names leaves the Cookie field as the client sent it",
		func(r *Request) { r.Header["Cookie"] = []string{`session="a b"; x=1; bad cookie`} },
		func(t *testing.T, h Harness) {
			ex := h.Exchange()
			wantContains(t, "request header names", headerNames(t, ex, abi.HeaderRequest), "cookie")
			wantStrings(t, "cookie", headerValues(t, ex, abi.HeaderRequest, "cookie"), []string{`session="a b"; x=1; bad cookie`})
			h.Next(backendResponse())
			wantStrings(t, "backend Cookie", h.Backend().Header.Values("Cookie"), []string{`session="a b"; x=1; bad cookie`})
		}},
	{"get_header_values: case-insensitive name, every value in order", nil, func(t *testing.T, h Harness) {
		wantStrings(t, "x-multi", headerValues(t, h.Exchange(), abi.HeaderRequest, "X-MULTI"), []string{"a", "b"})
		wantStrings(t, "x-one", headerValues(t, h.Exchange(), abi.HeaderRequest, "x-one"), []string{"1"})
		wantStrings(t, "missing", headerValues(t, h.Exchange(), abi.HeaderRequest, "x-missing"), nil)
	}},
	{"set_header_value replaces every value", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		must(t, "SetHeader", ex.SetHeader(abi.HeaderRequest, []byte("X-Multi"), []byte("c")))
		must(t, "SetHeader new", ex.SetHeader(abi.HeaderRequest, []byte("x-new"), []byte("n")))
		wantStrings(t, "x-multi", headerValues(t, ex, abi.HeaderRequest, "x-multi"), []string{"c"})
		h.Next(backendResponse())
		wantStrings(t, "backend X-Multi", h.Backend().Header.Values("X-Multi"), []string{"c"})
		wantStrings(t, "backend X-New", h.Backend().Header.Values("X-New"), []string{"n"})
	}},
	{"add_header_value appends a value", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		must(t, "AddHeader", ex.AddHeader(abi.HeaderRequest, []byte("x-multi"), []byte("c")))
		must(t, "AddHeader new", ex.AddHeader(abi.HeaderRequest, []byte("x-new"), []byte("n")))
		wantStrings(t, "x-multi", headerValues(t, ex, abi.HeaderRequest, "x-multi"), []string{"a", "b", "c"})
		h.Next(backendResponse())
		wantStrings(t, "backend X-Multi", h.Backend().Header.Values("X-Multi"), []string{"a", "b", "c"})
		wantStrings(t, "backend X-New", h.Backend().Header.Values("X-New"), []string{"n"})
	}},
	{"remove_header removes every value", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		must(t, "RemoveHeader", ex.RemoveHeader(abi.HeaderRequest, []byte("X-MULTI")))
		must(t, "RemoveHeader missing", ex.RemoveHeader(abi.HeaderRequest, []byte("x-missing")))
		wantStrings(t, "x-multi", headerValues(t, ex, abi.HeaderRequest, "x-multi"), nil)
		h.Next(backendResponse())
		wantStrings(t, "backend X-Multi", h.Backend().Header.Values("X-Multi"), nil)
		wantStrings(t, "backend X-One", h.Backend().Header.Values("X-One"), []string{"1"})
	}},
	{"request headers cannot change after next", nil, func(t *testing.T, h Harness) {
		h.Next(backendResponse())
		ex := h.Exchange()
		wantErr(t, "SetHeader", ex.SetHeader(abi.HeaderRequest, []byte("x-one"), []byte("2")), abi.ErrAfterNext)
		wantErr(t, "AddHeader", ex.AddHeader(abi.HeaderRequest, []byte("x-one"), []byte("2")), abi.ErrAfterNext)
		wantErr(t, "RemoveHeader", ex.RemoveHeader(abi.HeaderRequest, []byte("x-one")), abi.ErrAfterNext)
		wantStrings(t, "request x-one", headerValues(t, ex, abi.HeaderRequest, "x-one"), []string{"1"})
		wantStrings(t, "backend X-One", h.Backend().Header.Values("X-One"), []string{"1"})
	}},
	{"header names and values that could inject lines are refused", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		for _, kind := range []abi.HeaderKind{abi.HeaderRequest, abi.HeaderResponse} {
			for _, name := range []string{"", "a b", "a:b", "a\r\nb", "a\nb", "a\x00"} {
				what := "kind " + strconv.Itoa(int(kind)) + " name " + strconv.Quote(name)
				wantErr(t, "SetHeader "+what, ex.SetHeader(kind, []byte(name), []byte("v")), abi.ErrInvalid)
				wantErr(t, "AddHeader "+what, ex.AddHeader(kind, []byte(name), []byte("v")), abi.ErrInvalid)
				wantErr(t, "RemoveHeader "+what, ex.RemoveHeader(kind, []byte(name)), abi.ErrInvalid)
			}
			for _, value := range []string{"v\r\nx-injected: 1", "v\nx", "v\rx", "v\x00"} {
				what := "kind " + strconv.Itoa(int(kind)) + " value " + strconv.Quote(value)
				wantErr(t, "SetHeader "+what, ex.SetHeader(kind, []byte("x-ok"), []byte(value)), abi.ErrInvalid)
				wantErr(t, "AddHeader "+what, ex.AddHeader(kind, []byte("x-ok"), []byte(value)), abi.ErrInvalid)
			}
		}
		wantStrings(t, "x-ok", headerValues(t, ex, abi.HeaderRequest, "x-ok"), nil)
	}},
	{"an unknown header kind is refused for changes and empty for reads", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		const bad = abi.HeaderKind(7)
		wantErr(t, "SetHeader", ex.SetHeader(bad, []byte("x"), []byte("v")), abi.ErrInvalid)
		wantErr(t, "AddHeader", ex.AddHeader(bad, []byte("x"), []byte("v")), abi.ErrInvalid)
		wantErr(t, "RemoveHeader", ex.RemoveHeader(bad, []byte("x")), abi.ErrInvalid)
		wantStrings(t, "names", headerNames(t, ex, bad), nil)
		wantStrings(t, "values", headerValues(t, ex, bad, "x-one"), nil)
	}},
	{"a plugin that does not call next answers with status, headers and body", nil,
		func(t *testing.T, h Harness) {
			ex := h.Exchange()
			must(t, "SetStatusCode", ex.SetStatusCode(403))
			must(t, "SetHeader", ex.SetHeader(abi.HeaderResponse, []byte("x-answer"), []byte("1")))
			must(t, "WriteBody", ex.WriteBody(abi.BodyResponse, []byte("denied")))
			wantStrings(t, "x-answer", headerValues(t, ex, abi.HeaderResponse, "x-answer"), []string{"1"})
			got := h.Client()
			wantEqual(t, "client status", got.Status, 403)
			wantStrings(t, "client X-Answer", got.Header.Values("X-Answer"), []string{"1"})
			wantEqual(t, "client body", string(got.Body), "denied")
		}},
	{"response headers set before next are kept over the backend's response", nil,
		func(t *testing.T, h Harness) {
			must(t, "SetHeader", h.Exchange().SetHeader(abi.HeaderResponse, []byte("x-handled"), []byte("1")))
			h.Next(backendResponse())
			got := h.Client()
			wantStrings(t, "client X-Handled", got.Header.Values("X-Handled"), []string{"1"})
			wantStrings(t, "client X-Backend", got.Header.Values("X-Backend"), []string{"yes"})
			wantEqual(t, "client body", string(got.Body), "from backend")
		}},
	{"a response header set before next replaces every line of it the backend sends", nil,
		func(t *testing.T, h Harness) {
			must(t, "SetHeader", h.Exchange().SetHeader(abi.HeaderResponse, []byte("VARY"), []byte("*")))
			must(t, "SetHeader", h.Exchange().SetHeader(abi.HeaderResponse, []byte("x-backend"), []byte("gateway")))
			resp := backendResponse()
			resp.Header["Vary"] = []string{"Origin", "Accept"}
			h.Next(resp)
			got := h.Client()
			wantStrings(t, "client Vary", got.Header.Values("Vary"), []string{"*"})
			wantStrings(t, "client X-Backend", got.Header.Values("X-Backend"), []string{"gateway"})
		}},
	{"response headers after next are the backend's and can change", nil, func(t *testing.T, h Harness) {
		h.Next(backendResponse())
		ex := h.Exchange()
		wantContains(t, "response names", headerNames(t, ex, abi.HeaderResponse), "x-backend", "x-drop")
		wantStrings(t, "x-backend", headerValues(t, ex, abi.HeaderResponse, "X-Backend"), []string{"yes"})
		must(t, "SetHeader", ex.SetHeader(abi.HeaderResponse, []byte("x-backend"), []byte("changed")))
		must(t, "AddHeader", ex.AddHeader(abi.HeaderResponse, []byte("x-new"), []byte("1")))
		must(t, "RemoveHeader", ex.RemoveHeader(abi.HeaderResponse, []byte("x-drop")))
		got := h.Client()
		wantStrings(t, "client X-Backend", got.Header.Values("X-Backend"), []string{"changed"})
		wantStrings(t, "client X-New", got.Header.Values("X-New"), []string{"1"})
		wantStrings(t, "client X-Drop", got.Header.Values("X-Drop"), nil)
	}},
	{"set_header_value on the response replaces every value, in any case of the name", nil, func(t *testing.T, h Harness) {
		resp := backendResponse()
		resp.Header["Vary"] = []string{"Origin", "Accept"}
		resp.Header["Content-Type"] = []string{"text/plain"}
		h.Next(resp)
		ex := h.Exchange()
		must(t, "SetHeader repeated", ex.SetHeader(abi.HeaderResponse, []byte("VARY"), []byte("*")))
		must(t, "SetHeader single", ex.SetHeader(abi.HeaderResponse, []byte("x-BACKEND"), []byte("changed")))
		must(t, "SetHeader content-type", ex.SetHeader(abi.HeaderResponse, []byte("content-type"), []byte("application/json")))
		must(t, "SetHeader new, twice", ex.SetHeader(abi.HeaderResponse, []byte("x-new"), []byte("1")))
		must(t, "SetHeader new, twice", ex.SetHeader(abi.HeaderResponse, []byte("X-New"), []byte("2")))
		must(t, "AddHeader", ex.AddHeader(abi.HeaderResponse, []byte("x-added"), []byte("a")))
		must(t, "AddHeader", ex.AddHeader(abi.HeaderResponse, []byte("x-added"), []byte("b")))
		must(t, "SetHeader after adds", ex.SetHeader(abi.HeaderResponse, []byte("x-added"), []byte("c")))
		wantStrings(t, "vary", headerValues(t, ex, abi.HeaderResponse, "vary"), []string{"*"})
		got := h.Client()
		wantStrings(t, "client Vary", got.Header.Values("Vary"), []string{"*"})
		wantStrings(t, "client X-Backend", got.Header.Values("X-Backend"), []string{"changed"})
		wantStrings(t, "client Content-Type", got.Header.Values("Content-Type"), []string{"application/json"})
		wantStrings(t, "client X-New", got.Header.Values("X-New"), []string{"2"})
		wantStrings(t, "client X-Added", got.Header.Values("X-Added"), []string{"c"})
	}},
	{"set_header_value on a request field sent twice, in any case of the name", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		must(t, "AddHeader", ex.AddHeader(abi.HeaderRequest, []byte("x-one"), []byte("2")))
		must(t, "SetHeader", ex.SetHeader(abi.HeaderRequest, []byte("X-ONE"), []byte("3")))
		must(t, "SetHeader content-type", ex.SetHeader(abi.HeaderRequest, []byte("CONTENT-type"), []byte("application/json")))
		wantStrings(t, "x-one", headerValues(t, ex, abi.HeaderRequest, "x-one"), []string{"3"})
		h.Next(backendResponse())
		wantStrings(t, "backend X-One", h.Backend().Header.Values("X-One"), []string{"3"})
		wantStrings(t, "backend Content-Type", h.Backend().Header.Values("Content-Type"), []string{"application/json"})
	}},
}

var trailerCases = []testCase{
	{"changing trailers needs FeatureTrailers, reading them does not", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		wantStrings(t, "request trailer", headerValues(t, ex, abi.HeaderRequestTrailers, "x-trl"), []string{"t"})
		wantErr(t, "SetHeader request trailer",
			ex.SetHeader(abi.HeaderRequestTrailers, []byte("x"), []byte("v")), abi.ErrFeature)
		wantErr(t, "AddHeader response trailer",
			ex.AddHeader(abi.HeaderResponseTrailers, []byte("x"), []byte("v")), abi.ErrFeature)
		wantErr(t, "RemoveHeader response trailer",
			ex.RemoveHeader(abi.HeaderResponseTrailers, []byte("x")), abi.ErrFeature)
	}},
	{"trailers with FeatureTrailers", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		if got := ex.EnableFeatures(abi.FeatureTrailers); !got.Has(abi.FeatureTrailers) {
			t.Fatalf("EnableFeatures(trailers) = %b", got)
		}
		wantStrings(t, "request trailer", headerValues(t, ex, abi.HeaderRequestTrailers, "X-Trl"), []string{"t"})
		must(t, "SetHeader request trailer", ex.SetHeader(abi.HeaderRequestTrailers, []byte("x-t2"), []byte("u")))
		wantStrings(t, "x-t2", headerValues(t, ex, abi.HeaderRequestTrailers, "x-t2"), []string{"u"})
		h.Next(backendResponse())
		wantErr(t, "SetHeader request trailer after next",
			ex.SetHeader(abi.HeaderRequestTrailers, []byte("x-t3"), []byte("v")), abi.ErrAfterNext)
		must(t, "SetHeader response trailer", ex.SetHeader(abi.HeaderResponseTrailers, []byte("x-rt"), []byte("1")))
		wantStrings(t, "x-rt", headerValues(t, ex, abi.HeaderResponseTrailers, "x-rt"), []string{"1"})
	}},
	{"enable_features accumulates", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		if got := ex.EnableFeatures(abi.FeatureBufferRequest); !got.Has(abi.FeatureBufferRequest) {
			t.Fatalf("EnableFeatures(buffer_request) = %b", got)
		}
		want := abi.FeatureBufferRequest | abi.FeatureBufferResponse | abi.FeatureTrailers
		if got := ex.EnableFeatures(abi.FeatureBufferResponse | abi.FeatureTrailers); !got.Has(want) {
			t.Fatalf("EnableFeatures(buffer_response|trailers) = %b, want %b included", got, want)
		}
	}},
}

var bodyCases = []testCase{
	{"read_body in chunks returns the body and EOF", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		wantEqual(t, "body", string(readAll(t, ex, abi.BodyRequest, 3)), "hello body")
		n, eof, err := ex.ReadBody(abi.BodyRequest, make([]byte, 8))
		must(t, "ReadBody after EOF", err)
		if n != 0 || !eof {
			t.Fatalf("ReadBody after EOF = %d, %v; want 0, true", n, eof)
		}
	}},
	{"read_body of an empty body is EOF at once", func(r *Request) { r.Body = nil }, func(t *testing.T, h Harness) {
		n, eof, err := h.Exchange().ReadBody(abi.BodyRequest, make([]byte, 8))
		must(t, "ReadBody", err)
		if n != 0 || !eof {
			t.Fatalf("ReadBody = %d, %v; want 0, true", n, eof)
		}
	}},
	{"a request body the plugin read still reaches the backend intact", nil, func(t *testing.T, h Harness) {
		readAll(t, h.Exchange(), abi.BodyRequest, 4)
		h.Next(backendResponse())
		wantEqual(t, "backend body", string(h.Backend().Body), "hello body")
	}},
	{"write_body: the first write of a call replaces, later writes append", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		must(t, "WriteBody", ex.WriteBody(abi.BodyRequest, []byte("new ")))
		must(t, "WriteBody", ex.WriteBody(abi.BodyRequest, []byte("body")))
		wantEqual(t, "read back", string(readAll(t, ex, abi.BodyRequest, 64)), "new body")
		h.Next(backendResponse())
		wantEqual(t, "backend body", string(h.Backend().Body), "new body")
	}},
	{"write_body: a new handler call replaces again", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		must(t, "WriteBody", ex.WriteBody(abi.BodyRequest, []byte("one")))
		h.Enter()
		must(t, "WriteBody", ex.WriteBody(abi.BodyRequest, []byte("two")))
		h.Next(backendResponse())
		wantEqual(t, "backend body", string(h.Backend().Body), "two")
	}},
	{"each handler call reads a body from its start", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		if _, _, err := ex.ReadBody(abi.BodyRequest, make([]byte, 5)); err != nil {
			t.Fatal(err)
		}
		h.Enter()
		wantEqual(t, "body", string(readAll(t, ex, abi.BodyRequest, 64)), "hello body")
	}},
	{"the request body cannot change after next but can be read", nil, func(t *testing.T, h Harness) {
		h.Next(backendResponse())
		ex := h.Exchange()
		wantErr(t, "WriteBody", ex.WriteBody(abi.BodyRequest, []byte("late")), abi.ErrAfterNext)
		wantEqual(t, "body", string(readAll(t, ex, abi.BodyRequest, 64)), "hello body")
		wantEqual(t, "backend body", string(h.Backend().Body), "hello body")
	}},
	{"a response body written before next is the client's", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		must(t, "WriteBody", ex.WriteBody(abi.BodyResponse, []byte("a")))
		must(t, "WriteBody", ex.WriteBody(abi.BodyResponse, []byte("b")))
		wantEqual(t, "client body", string(h.Client().Body), "ab")
	}},
	{"a response body written before next is kept in front of the backend's", nil, func(t *testing.T, h Harness) {
		// http-wasm: guest and backend write one response stream; the http-wasm TCK relies on it.
		must(t, "WriteBody", h.Exchange().WriteBody(abi.BodyResponse, []byte("guest:")))
		h.Next(backendResponse())
		wantEqual(t, "client body", string(h.Client().Body), "guest:from backend")
	}},
	{"the response body after next is the backend's and can be rewritten", nil, func(t *testing.T, h Harness) {
		h.Next(backendResponse())
		ex := h.Exchange()
		backend := readAll(t, ex, abi.BodyResponse, 5)
		wantEqual(t, "response body", string(backend), "from backend")
		must(t, "WriteBody", ex.WriteBody(abi.BodyResponse, []byte("wrapped:")))
		must(t, "WriteBody", ex.WriteBody(abi.BodyResponse, backend))
		wantEqual(t, "client body", string(h.Client().Body), "wrapped:from backend")
	}},
	{"an unknown body kind is refused", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		_, _, err := ex.ReadBody(abi.BodyKind(5), make([]byte, 4))
		wantErr(t, "ReadBody", err, abi.ErrInvalid)
		wantErr(t, "WriteBody", ex.WriteBody(abi.BodyKind(5), []byte("x")), abi.ErrInvalid)
	}},
}

var statusCases = []testCase{
	{"get_status_code is 200 before next", nil, func(t *testing.T, h Harness) {
		wantEqual(t, "StatusCode", h.Exchange().StatusCode(), 200)
	}},
	{"set_status_code checks the range", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		for _, code := range []uint32{0, 99, 1000} {
			wantErr(t, "SetStatusCode "+strconv.Itoa(int(code)), ex.SetStatusCode(code), abi.ErrInvalid)
		}
		must(t, "SetStatusCode", ex.SetStatusCode(418))
		wantEqual(t, "StatusCode", ex.StatusCode(), 418)
		wantEqual(t, "client status", h.Client().Status, 418)
	}},
	{"the status after next is the backend's and can change", nil, func(t *testing.T, h Harness) {
		resp := backendResponse()
		resp.Status = 201
		h.Next(resp)
		ex := h.Exchange()
		wantEqual(t, "StatusCode", ex.StatusCode(), 201)
		must(t, "SetStatusCode", ex.SetStatusCode(502))
		wantEqual(t, "client status", h.Client().Status, 502)
	}},
}

var extensionCases = []testCase{
	{"log levels", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		wantEqual(t, "LogEnabled(none)", ex.LogEnabled(abi.LogNone), false)
		wantEqual(t, "LogEnabled(error)", ex.LogEnabled(abi.LogError), true)
		ex.Log(abi.LogError, []byte("abitest: a log line"))
	}},
	{"get_context_var", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		for name, want := range baseRequest().Vars {
			got, ok := ex.ContextVar([]byte(name), []byte("prefix:"))
			if !ok || string(got) != "prefix:"+want {
				t.Fatalf("ContextVar(%s) = %q, %v; want %q", name, got, ok, "prefix:"+want)
			}
		}
		if got, ok := ex.ContextVar([]byte("no.such.variable"), []byte("prefix:")); ok || string(got) != "prefix:" {
			t.Fatalf("ContextVar(unknown) = %q, %v", got, ok)
		}
	}},
	{"kv and counters", nil, func(t *testing.T, h Harness) {
		ex := h.Exchange()
		key := []byte("abitest-" + strconv.FormatInt(time.Now().UnixNano(), 36))
		if got, ok := ex.KVGet(key, nil); ok {
			t.Fatalf("KVGet(new key) = %q, true", got)
		}
		must(t, "KVSet", ex.KVSet(key, []byte("v1"), 0))
		must(t, "KVSet", ex.KVSet(key, []byte("v2"), time.Minute))
		if got, ok := ex.KVGet(key, []byte("p:")); !ok || string(got) != "p:v2" {
			t.Fatalf("KVGet = %q, %v; want p:v2", got, ok)
		}
		counter := append(key, "-counter"...)
		for i, want := range []int64{2, 5, 4} {
			delta := []int64{2, 3, -1}[i]
			got, err := ex.CounterIncr(counter, delta, time.Minute)
			must(t, "CounterIncr", err)
			wantEqual(t, "CounterIncr", got, want)
		}
	}},
	{"now_unix_nano is the wall clock", nil, func(t *testing.T, h Harness) {
		got := time.Unix(0, h.Exchange().NowUnixNano())
		if d := time.Since(got); d < -time.Minute || d > time.Minute {
			t.Fatalf("NowUnixNano = %v, %v away from now", got, d)
		}
	}},
}
