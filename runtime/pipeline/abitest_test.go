package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/abitest"
	"github.com/portico-gateway/portico/runtime/kv"
)

// TestConformance runs the ABI conformance suite against the gateway's own exchange, so a plugin behaves the same
// here as on the in-memory exchange its tests and `portico plugin test` use.
func TestConformance(t *testing.T) {
	abitest.Run(t, func(t *testing.T, req abitest.Request) abitest.Harness { return newHarness(t, req) })
}

type harness struct {
	t       *testing.T
	ctx     *fasthttp.RequestCtx
	r       *Request
	backend abitest.Request
	binding Binding
}

func newHarness(t *testing.T, in abitest.Request) *harness {
	ctx := &fasthttp.RequestCtx{}
	// The request is parsed from the wire, as the server does: fasthttp keeps some fields differently when they
	// are set through its API (a Cookie field set with Add is parsed into its cookie list at once).
	var wire bytes.Buffer
	fmt.Fprintf(&wire, "%s %s %s\r\n", orDefault(in.Method, "GET"), orDefault(in.URI, "/"), orDefault(in.Protocol, "HTTP/1.1"))
	wire.WriteString("Host: svc00001-test.localhost\r\n")
	for k, vs := range in.Header {
		for _, v := range vs {
			fmt.Fprintf(&wire, "%s: %s\r\n", k, v)
		}
	}
	if len(in.Trailer) > 0 {
		wire.WriteString("Transfer-Encoding: chunked\r\n")
		for k := range in.Trailer {
			fmt.Fprintf(&wire, "Trailer: %s\r\n", k)
		}
		wire.WriteString("\r\n")
		if len(in.Body) > 0 {
			fmt.Fprintf(&wire, "%x\r\n%s\r\n", len(in.Body), in.Body)
		}
		wire.WriteString("0\r\n")
		for k, vs := range in.Trailer {
			for _, v := range vs {
				fmt.Fprintf(&wire, "%s: %s\r\n", k, v)
			}
		}
		wire.WriteString("\r\n")
	} else {
		fmt.Fprintf(&wire, "Content-Length: %d\r\n\r\n%s", len(in.Body), in.Body)
	}
	var req fasthttp.Request
	if err := req.Read(bufio.NewReader(&wire)); err != nil {
		t.Fatalf("parsing the harness request: %v", err)
	}
	ap, err := netip.ParseAddrPort(orDefault(in.SourceAddr, "127.0.0.1:50000"))
	if err != nil {
		t.Fatal(err)
	}
	ctx.Init(&req, net.TCPAddrFromAddrPort(ap), nil)
	r := AcquireRequest(ctx)
	t.Cleanup(func() { ReleaseRequest(r) })
	r.SetRequestID([]byte(orDefault(in.Vars["request.id"], "req-1")))
	if ip, ok := in.Vars["request.clientIp"]; ok {
		r.ClientIP = netip.MustParseAddr(ip)
	} else {
		r.ClientIP = ap.Addr()
	}
	r.stage = NewStage("svc00001", "test", 1, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h := &harness{t: t, ctx: ctx, r: r, binding: Binding{Name: "abitest", Namespace: []byte("abitest"), KV: kv.NewMemory(100)}}
	r.ex.reset(r)
	h.Enter()
	return h
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (h *harness) Exchange() abi.Exchange { return &h.r.ex }

func (h *harness) Enter() { h.r.ex.enter(&h.binding) }

// Next records what the backend would receive, then puts resp in place of the response as a backend call does.
func (h *harness) Next(resp abitest.Response) {
	ex := &h.r.ex
	req := &h.ctx.Request
	uri := string(req.Header.RequestURI())
	if ex.uriSet {
		uri = string(ex.uri)
	}
	h.backend = abitest.Request{Method: string(req.Header.Method()), URI: uri,
		Protocol: string(req.Header.Protocol()), Body: append([]byte(nil), req.Body()...)}
	h.backend.Header, h.backend.Trailer = onTheWire(h.t, req)

	ex.afterNext = true
	out := &h.ctx.Response
	out.Reset()
	out.SetStatusCode(int(orStatus(resp.Status)))
	for k, vs := range resp.Header {
		for _, v := range vs {
			out.Header.Add(k, v)
		}
	}
	for k, vs := range resp.Trailer {
		_ = out.Header.AddTrailer(k)
		for _, v := range vs {
			out.Header.Add(k, v)
		}
	}
	out.SetBody(resp.Body)
	ex.replayPreNext(false)
	h.Enter()
}

func orStatus(s uint32) uint32 {
	if s == 0 {
		return 200
	}
	return s
}

func (h *harness) Backend() abitest.Request { return h.backend }

func (h *harness) Client() abitest.Response {
	resp := &h.ctx.Response
	out := abitest.Response{Status: uint32(resp.StatusCode()), Body: append([]byte(nil), resp.Body()...)}
	out.Header, out.Trailer = split(&resp.Header)
	return out
}

// onTheWire returns the header and trailer fields of req as a backend receives them: written as the proxy writes
// it and read back by net/http (not through fasthttp's All, which would re-serialise the Cookie field on the way).
func onTheWire(t *testing.T, req *fasthttp.Request) (http.Header, http.Header) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := req.Write(w); err != nil {
		t.Fatalf("writing the backend request: %v", err)
	}
	_ = w.Flush()
	got, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("reading the backend request back: %v\n%s", err, buf.Bytes())
	}
	if _, err := io.Copy(io.Discard, got.Body); err != nil { // trailers arrive after the body
		t.Fatalf("reading the backend request body: %v", err)
	}
	head := got.Header
	for _, name := range []string{"Trailer", "Content-Length", "Host", "Date", "Transfer-Encoding"} {
		head.Del(name)
	}
	trl := got.Trailer
	if len(trl) == 0 {
		trl = nil
	}
	return head, trl
}

// split reads a fasthttp header into its header and trailer sections.
func split(h interface {
	All() iter.Seq2[[]byte, []byte]
	Trailers() iter.Seq[[]byte]
}) (http.Header, http.Header) {
	trailer := map[string]bool{}
	for k := range h.Trailers() {
		trailer[http.CanonicalHeaderKey(string(k))] = true
	}
	head, trl := http.Header{}, http.Header{}
	for k, v := range h.All() {
		name := http.CanonicalHeaderKey(string(k))
		switch {
		case name == "Trailer" || name == "Content-Length" || name == "Host" || name == "Date":
		case trailer[name]:
			trl.Add(name, string(v))
		default:
			head.Add(name, string(v))
		}
	}
	if len(trl) == 0 {
		trl = nil
	}
	return head, trl
}
