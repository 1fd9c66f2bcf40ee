//go:build !wasip1

package portico_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	portico "github.com/portico-gateway/portico/wasm-sdk/go"
	"github.com/portico-gateway/portico/wasm-sdk/go/porticotest"
)

// onRequest registers fn as the request handler for one test.
func onRequest(t *testing.T, fn portico.RequestHandler) {
	t.Helper()
	portico.HandleRequest(fn)
	t.Cleanup(func() { portico.HandleRequest(nil) })
}

func onResponse(t *testing.T, fn portico.ResponseHandler) {
	t.Helper()
	portico.HandleResponse(fn)
	t.Cleanup(func() { portico.HandleResponse(nil) })
}

// trapOf runs fn and returns the reason of the trap it caused, "" if none.
func trapOf(fn func()) (reason string) {
	defer func() {
		if r := recover(); r != nil {
			var trap *porticotest.Trap
			if err, ok := r.(error); ok && errors.As(err, &trap) {
				reason = trap.Reason
				return
			}
			panic(r)
		}
	}()
	fn()
	return ""
}

func TestNoHandlersPassThrough(t *testing.T) {
	h := &porticotest.Host{}
	if next, reqCtx := h.HandleRequest(); !next || reqCtx != 0 {
		t.Fatalf("HandleRequest = %v, %d; want true, 0", next, reqCtx)
	}
	h.HandleResponse(0, false)
}

func TestRequestAccessors(t *testing.T) {
	h := &porticotest.Host{
		Method:          "POST",
		URI:             "/v1/items?id=7",
		ProtocolVersion: "HTTP/1.0",
		SourceAddr:      "[2001:db8::1]:4711",
		RequestHeader:   porticotest.Header{"Accept": {"a/b", "c/d"}, "x-id": {"7"}},
	}
	var got []any
	onRequest(t, func(req portico.Request, resp portico.Response) (bool, uint32) {
		accept, ok := req.Headers().Get("ACCEPT")
		_, missing := req.Headers().Get("x-missing")
		got = []any{req.Method(), req.URI(), req.ProtocolVersion(), req.SourceAddr(), req.ClientIP(),
			req.Headers().Names(), accept, ok, missing, req.Headers().GetAll("accept")}
		return true, 42
	})
	next, reqCtx := h.HandleRequest()
	want := []any{"POST", "/v1/items?id=7", "HTTP/1.0", "[2001:db8::1]:4711", "2001:db8::1",
		[]string{"accept", "x-id"}, "a/b", true, false, []string{"a/b", "c/d"}}
	if !next || reqCtx != 42 || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, %d, %q\nwant true, 42, %q", next, reqCtx, got, want)
	}
}

func TestRequestMutation(t *testing.T) {
	h := &porticotest.Host{RequestHeader: porticotest.Header{"x-old": {"1"}, "x-multi": {"a"}}}
	onRequest(t, func(req portico.Request, resp portico.Response) (bool, uint32) {
		req.SetMethod("PUT")
		req.SetURI("/v2/items")
		req.Headers().Set("X-New", "yes")
		req.Headers().Add("x-multi", "b")
		req.Headers().Remove("x-old")
		return true, 0
	})
	h.HandleRequest()
	if h.Method != "PUT" || h.URI != "/v2/items" || h.RequestHeader.Get("x-new") != "yes" ||
		!reflect.DeepEqual(h.RequestHeader.Values("x-multi"), []string{"a", "b"}) || h.RequestHeader.Values("x-old") != nil {
		t.Fatalf("request after the handler: %s %s %v", h.Method, h.URI, h.RequestHeader)
	}
}

func TestShortCircuit(t *testing.T) {
	h := &porticotest.Host{}
	onRequest(t, func(req portico.Request, resp portico.Response) (bool, uint32) {
		resp.SetStatusCode(403)
		resp.Headers().Set("content-type", "application/json")
		resp.Body().WriteString(`{"error":`)
		resp.Body().Write([]byte(`"no"}`))
		return false, 9
	})
	reached := h.Run(func(*porticotest.Host) { t.Fatal("backend called") })
	if reached || h.StatusCode != 403 || string(h.ResponseBody) != `{"error":"no"}` {
		t.Fatalf("reached %v, status %d, body %q", reached, h.StatusCode, h.ResponseBody)
	}
}

func TestBodies(t *testing.T) {
	body := strings.Repeat("0123456789", 1000) // larger than the probing buffer
	h := &porticotest.Host{RequestBody: []byte(body)}
	var read []byte
	onRequest(t, func(req portico.Request, resp portico.Response) (bool, uint32) {
		portico.EnableFeatures(portico.FeatureBufferRequest | portico.FeatureBufferResponse)
		read = req.Body().ReadAll()
		return true, 0
	})
	onResponse(t, func(_ uint32, req portico.Request, resp portico.Response, isError bool) {
		b, err := io.ReadAll(resp.Body())
		if err != nil {
			t.Error(err)
		}
		resp.Body().WriteString(strings.ToUpper(string(b)))
		resp.Body().WriteString("!")
	})
	h.Run(func(h *porticotest.Host) { h.ResponseBody = []byte("ok") })
	if string(read) != body || string(h.RequestBody) != body || string(h.ResponseBody) != "OK!" {
		t.Fatalf("read %d bytes, backend got %d, response %q", len(read), len(h.RequestBody), h.ResponseBody)
	}
}

// Without buffer_request, reading the request body consumes it; the fake host models that.
func TestReadWithoutBufferingConsumes(t *testing.T) {
	h := &porticotest.Host{RequestBody: []byte("abcdef")}
	onRequest(t, func(req portico.Request, resp portico.Response) (bool, uint32) {
		p := make([]byte, 2)
		if n, err := req.Body().Read(p); n != 2 || err != nil {
			t.Errorf("Read = %d, %v", n, err)
		}
		return true, 0
	})
	h.HandleRequest()
	if string(h.RequestBody) != "cdef" {
		t.Fatalf("backend body %q, want the unread rest", h.RequestBody)
	}
}

func TestConfigAndInit(t *testing.T) {
	var seen string
	portico.Init(func(config []byte) error {
		seen = string(config)
		if seen == "bad" {
			return errors.New("bad config")
		}
		return nil
	})
	t.Cleanup(func() { portico.Init(func([]byte) error { return nil }) })
	if err := (&porticotest.Host{Config: []byte("bad")}).Init(); err == nil || err.Error() != "bad config" {
		t.Fatalf("Init with a bad config = %v", err)
	}
	h := &porticotest.Host{Config: []byte(`{"a":1}`)}
	var inHandler string
	onRequest(t, func(portico.Request, portico.Response) (bool, uint32) {
		inHandler = string(portico.Config())
		return true, 0
	})
	h.HandleRequest()
	if seen != `{"a":1}` || inHandler != `{"a":1}` {
		t.Fatalf("Init saw %q, the handler %q", seen, inHandler)
	}
}

func TestLog(t *testing.T) {
	h := &porticotest.Host{MinLogLevel: portico.LogWarn}
	var debugOn, errorOn bool
	onRequest(t, func(portico.Request, portico.Response) (bool, uint32) {
		debugOn, errorOn = portico.LogEnabled(portico.LogDebug), portico.LogEnabled(portico.LogError)
		portico.Log(portico.LogInfo, "dropped")
		portico.Log(portico.LogError, "kept")
		return true, 0
	})
	h.HandleRequest()
	if debugOn || !errorOn || !reflect.DeepEqual(h.Logs, []porticotest.Log{{Level: portico.LogError, Message: "kept"}}) {
		t.Fatalf("debug %v, error %v, logs %v", debugOn, errorOn, h.Logs)
	}
}

func TestExtension(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	h := &porticotest.Host{
		Vars:  map[string]string{"request.path.id": "7"},
		Clock: func() time.Time { return now },
	}
	var got []any
	onRequest(t, func(portico.Request, portico.Response) (bool, uint32) {
		id, ok := portico.ContextVar("request.path.id")
		_, missing := portico.ContextVar("request.path.nope")
		ip, _ := portico.ContextVar("request.clientIp")
		portico.KVSet("k", []byte("v"), time.Second)
		v, found := portico.KVGet("k")
		_, absent := portico.KVGet("other")
		got = []any{id, ok, missing, ip, string(v), found, absent,
			portico.CounterIncr("c", 2, time.Minute), portico.CounterIncr("c", 3, time.Minute),
			portico.Now().Equal(now), portico.HostVersion()}
		return true, 0
	})
	h.HandleRequest()
	want := []any{"7", true, false, "127.0.0.1", "v", true, false, int64(2), int64(5), true, int32(1)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	now = now.Add(2 * time.Second)
	if _, ok := h.KV("k"); ok {
		t.Fatal("KV value outlived its ttl")
	}
	if h.Counter("c") != 5 {
		t.Fatalf("counter %d, want 5", h.Counter("c"))
	}
}

func TestHTTPCall(t *testing.T) {
	var sent []portico.CallRequest
	h := &porticotest.Host{Call: func(req portico.CallRequest) (portico.CallResponse, error) {
		sent = append(sent, req)
		switch req.URL {
		case "http://slow/":
			return portico.CallResponse{}, portico.ErrTimeout
		case "http://down/":
			return portico.CallResponse{}, errors.New("connection refused")
		case "http://other/":
			return portico.CallResponse{}, portico.ErrNotAllowed
		}
		return portico.CallResponse{StatusCode: 201, Headers: []portico.HeaderField{{Name: "X-Id", Value: "9"}}, Body: []byte("made")}, nil
	}}
	type result struct {
		resp portico.CallResponse
		err  error
	}
	var results []result
	onRequest(t, func(portico.Request, portico.Response) (bool, uint32) {
		for _, req := range []portico.CallRequest{
			{Method: "POST", URL: "http://auth/check", Headers: []portico.HeaderField{{Name: "accept", Value: "text/plain"}}, Body: []byte("q"), Timeout: 50 * time.Millisecond},
			{URL: "http://slow/"},
			{URL: "http://down/"},
			{URL: "http://other/"},
			{URL: "ftp://x/"},
			{URL: "http://auth/", Headers: []portico.HeaderField{{Name: "a", Value: "1\r\nb: 2"}}},
		} {
			resp, err := portico.HTTPCall(req)
			results = append(results, result{resp, err})
		}
		return true, 0
	})
	h.HandleRequest()
	wantSent := portico.CallRequest{Method: "POST", URL: "http://auth/check",
		Headers: []portico.HeaderField{{Name: "accept", Value: "text/plain"}}, Body: []byte("q"), Timeout: 50 * time.Millisecond}
	if len(sent) != 4 || !reflect.DeepEqual(sent[0], wantSent) || !reflect.DeepEqual(sent[3], portico.CallRequest{Method: "GET", URL: "http://other/"}) {
		t.Errorf("requests sent: %+v", sent)
	}
	first := results[0]
	if v, _ := first.resp.Header("x-id"); first.err != nil || first.resp.StatusCode != 201 || v != "9" || string(first.resp.Body) != "made" {
		t.Errorf("first call: %+v, %v", first.resp, first.err)
	}
	for i, want := range []error{nil, portico.ErrTimeout, portico.ErrCallFailed, portico.ErrNotAllowed, portico.ErrNotAllowed, portico.ErrInvalidHeader} {
		if results[i].err != want {
			t.Errorf("call %d: err %v, want %v", i, results[i].err, want)
		}
	}
}

func TestTraps(t *testing.T) {
	for _, tc := range []struct {
		name     string
		request  portico.RequestHandler
		response portico.ResponseHandler
		want     string
	}{
		{name: "header name with a space", request: func(req portico.Request, _ portico.Response) (bool, uint32) {
			req.Headers().Set("x a", "1")
			return true, 0
		}, want: "set_header_value: invalid header name x a"},
		{name: "header value with LF", request: func(req portico.Request, _ portico.Response) (bool, uint32) {
			req.Headers().Set("x-a", "1\nx-b: 2")
			return true, 0
		}, want: "set_header_value: CR, LF or NUL in the value of x-a"},
		{name: "relative URI", request: func(req portico.Request, _ portico.Response) (bool, uint32) {
			req.SetURI("v2")
			return true, 0
		}, want: "set_uri: the URI must start with / and contain no blanks, control characters, # or dot segments: v2"},
		{name: "dot segment in URI", request: func(req portico.Request, _ portico.Response) (bool, uint32) {
			req.SetURI("/a/%2E%2e/etc?x")
			return true, 0
		}, want: "set_uri: the URI must start with / and contain no blanks, control characters, # or dot segments: /a/%2E%2e/etc?x"},
		{name: "status out of range", request: func(_ portico.Request, resp portico.Response) (bool, uint32) {
			resp.SetStatusCode(99)
			return false, 0
		}, want: "set_status_code: status outside 100-999"},
		{name: "request header after next", response: func(_ uint32, req portico.Request, _ portico.Response, _ bool) {
			req.Headers().Set("x-a", "1")
		}, want: "set_header_value: the request was already passed on (next)"},
		{name: "response body after next without buffering", response: func(_ uint32, _ portico.Request, resp portico.Response, _ bool) {
			resp.Body().WriteString("x")
		}, want: "write_body after next needs feature buffer_response"},
		{name: "trailer without the feature", request: func(req portico.Request, _ portico.Response) (bool, uint32) {
			req.Trailers().Set("x-a", "1")
			return true, 0
		}, want: "set_header_value: trailers need feature trailers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			onRequest(t, tc.request)
			onResponse(t, tc.response)
			h := &porticotest.Host{}
			if got := trapOf(func() { h.Run(nil) }); got != tc.want {
				t.Fatalf("trap %q, want %q", got, tc.want)
			}
		})
	}
}

// A response-phase binding gets only handle_response and may rewrite the response without enabling features.
func TestResponsePhaseBinding(t *testing.T) {
	h := &porticotest.Host{StatusCode: 502, ResponseBody: []byte("bad gateway")}
	var isErr bool
	onResponse(t, func(reqCtx uint32, _ portico.Request, resp portico.Response, isError bool) {
		isErr = isError
		resp.SetStatusCode(503)
		resp.Headers().Set("retry-after", "1")
	})
	h.HandleResponse(0, true)
	if !isErr || h.StatusCode != 503 || h.ResponseHeader.Get("retry-after") != "1" {
		t.Fatalf("isError %v, status %d, headers %v", isErr, h.StatusCode, h.ResponseHeader)
	}
}
