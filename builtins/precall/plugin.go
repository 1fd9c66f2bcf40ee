package precall

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/builtins/reply"
	"github.com/portico-gateway/portico/runtime/abi"
)

// Plugin is a compiled pre-call binding.
type Plugin struct {
	c      *compiled
	client Doer
	cache  *cache // nil when cacheSeconds is 0
	now    func() time.Time
	// epoch: cache times are nanoseconds since it, monotonic, so a wall-clock step neither revives nor drops 200s.
	epoch time.Time
}

func newPlugin(c *compiled, client Doer, now func() time.Time) *Plugin {
	p := &Plugin{c: c, client: client, now: now, epoch: time.Now()}
	if c.cache > 0 {
		p.cache = newCache(MaxCacheEntries)
	}
	return p
}

// HandleRequest calls the pre-call API (or finds its 200 in the cache) and passes the request on after a 200.
func (p *Plugin) HandleRequest(ex abi.Exchange) (bool, uint32) {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	s.collect(ex)
	var key [sha256.Size]byte
	now := int64(p.now().Sub(p.epoch))
	if p.cache != nil {
		key = sha256.Sum256(s.keyed)
		if p.cache.fresh(key, now) {
			return true, 0
		}
	}

	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.Header.SetMethodBytes(p.c.method)
	req.SetRequestURI(p.c.url)
	s.copyTo(req)
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	if err := p.client.DoTimeout(req, resp, p.c.timeout); err != nil {
		p.fail(ex, err)
		return false, 0
	}
	if resp.StatusCode() == fasthttp.StatusOK {
		if p.cache != nil {
			p.cache.put(key, now, now+int64(p.c.cache))
		}
		return true, 0
	}
	p.relay(ex, resp)
	return false, 0
}

// HandleResponse does nothing: the pre-call decides before the backend.
func (p *Plugin) HandleResponse(abi.Exchange, uint32, bool) {}

// fail answers 502 and logs why, with the URL; the client learns neither.
func (p *Plugin) fail(ex abi.Exchange, err error) {
	why := "failed"
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout):
		why = "timed out"
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		why = "answered a body over 1 MiB"
	}
	if ex.LogEnabled(abi.LogWarn) {
		ex.Log(abi.LogWarn, []byte("pre-call "+string(p.c.method)+" "+p.c.url+" "+why+": "+err.Error()))
	}
	reply.Error(ex, fasthttp.StatusBadGateway, CodeFailed, "the pre-call API could not be called")
}

// relay makes the pre-call's answer the client's: status, end-to-end headers, body.
func (p *Plugin) relay(ex abi.Exchange, resp *fasthttp.Response) {
	code := resp.StatusCode()
	if code < 100 || code > 999 {
		p.fail(ex, errors.New("invalid status code"))
		return
	}
	_ = ex.SetStatusCode(uint32(code))
	var conn []byte
	for name, value := range resp.Header.All() {
		if bytes.EqualFold(name, hConnection) {
			conn = append(conn, value...)
			conn = append(conn, ',')
		}
	}
	for name, value := range resp.Header.All() {
		if hopByHop(name) || bytes.EqualFold(name, hContentLength) || listed(conn, name) {
			continue
		}
		_ = ex.AddHeader(abi.HeaderResponse, name, value)
	}
	_ = ex.WriteBody(abi.BodyResponse, resp.Body())
}

var (
	hConnection    = []byte("connection")
	hContentLength = []byte("content-length")
	hHost          = []byte("host")
	hExpect        = []byte("expect")
)

// hopByHop reports whether a header belongs to one connection (RFC 9110 §7.6.1, plus the non-standard
// Keep-Alive and Proxy-Connection and the proxy credentials meant for the gateway itself).
func hopByHop(name []byte) bool {
	switch len(name) {
	case 2:
		return bytes.EqualFold(name, []byte("te"))
	case 7:
		return bytes.EqualFold(name, []byte("trailer")) || bytes.EqualFold(name, []byte("upgrade"))
	case 10:
		return bytes.EqualFold(name, []byte("connection")) || bytes.EqualFold(name, []byte("keep-alive"))
	case 16:
		return bytes.EqualFold(name, []byte("proxy-connection"))
	case 17:
		return bytes.EqualFold(name, []byte("transfer-encoding"))
	case 18:
		return bytes.EqualFold(name, []byte("proxy-authenticate"))
	case 19:
		return bytes.EqualFold(name, []byte("proxy-authorization"))
	}
	return false
}

// notKeyed reports whether a header is left out of the cache key: per-request correlation IDs.
func notKeyed(name []byte) bool {
	return bytes.EqualFold(name, []byte("x-request-id")) || bytes.EqualFold(name, []byte("traceparent")) ||
		bytes.EqualFold(name, []byte("tracestate"))
}

// listed reports whether name is one of the comma-separated tokens of a Connection header (its values joined by
// commas or NULs): headers a client declares hop-by-hop.
func listed(conn, name []byte) bool {
	for len(conn) > 0 {
		end := bytes.IndexAny(conn, ",\x00")
		if end < 0 {
			end = len(conn)
		}
		if bytes.EqualFold(bytes.TrimSpace(conn[:end]), name) {
			return true
		}
		if end == len(conn) {
			break
		}
		conn = conn[end+1:]
	}
	return false
}

// scratch holds one request's buffers; pooled, so that reading headers allocates nothing once warm.
type scratch struct {
	names []byte // NUL-terminated header names
	spans []span // each name's place in names, sorted by name
	vals  []byte // one header's NUL-terminated values
	conn  []byte // the Connection header's values
	sent  []byte // "name\x00value\n" for every header to send, in name order
	keyed []byte // the same lines for the headers in the cache key
}

type span struct{ start, end int }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// collect reads the incoming request's end-to-end headers, sorted by name (values of one name keep their order),
// into s.sent and s.keyed. A line cannot be confused with another: names have no NUL, values no NUL or LF.
func (s *scratch) collect(ex abi.Exchange) {
	s.names, _ = ex.AppendHeaderNames(abi.HeaderRequest, s.names[:0])
	s.spans = s.spans[:0]
	for start := 0; start < len(s.names); {
		end := start + bytes.IndexByte(s.names[start:], 0)
		if end < start {
			end = len(s.names)
		}
		s.spans = append(s.spans, span{start, end})
		start = end + 1
	}
	// Insertion sort: a request has tens of headers, and sort.Slice would allocate its closure.
	for i := 1; i < len(s.spans); i++ {
		for j := i; j > 0 && bytes.Compare(s.name(j), s.name(j-1)) < 0; j-- {
			s.spans[j], s.spans[j-1] = s.spans[j-1], s.spans[j]
		}
	}
	s.conn, _ = ex.AppendHeaderValues(abi.HeaderRequest, hConnection, s.conn[:0])
	s.sent, s.keyed = s.sent[:0], s.keyed[:0]
	for i := range s.spans {
		name := s.name(i)
		if hopByHop(name) || bytes.EqualFold(name, hHost) || bytes.EqualFold(name, hContentLength) ||
			bytes.EqualFold(name, hExpect) || listed(s.conn, name) {
			continue
		}
		keyed := !notKeyed(name)
		s.vals, _ = ex.AppendHeaderValues(abi.HeaderRequest, name, s.vals[:0])
		for vals := s.vals; len(vals) > 0; {
			end := bytes.IndexByte(vals, 0)
			if end < 0 {
				end = len(vals)
			}
			v := vals[:end]
			vals = vals[min(end+1, len(vals)):]
			if bytes.IndexByte(v, '\n') >= 0 {
				continue // no exchange hands out such a value, and no request could carry it
			}
			start := len(s.sent)
			s.sent = append(append(append(append(s.sent, name...), 0), v...), '\n')
			if keyed {
				s.keyed = append(s.keyed, s.sent[start:]...)
			}
		}
	}
}

// copyTo adds the collected headers to req.
func (s *scratch) copyTo(req *fasthttp.Request) {
	for lines := s.sent; len(lines) > 0; {
		nul := bytes.IndexByte(lines, 0)
		nl := nul + bytes.IndexByte(lines[nul:], '\n')
		req.Header.AddBytesKV(lines[:nul], lines[nul+1:nl])
		lines = lines[nl+1:]
	}
}

func (s *scratch) name(i int) []byte { return s.names[s.spans[i].start:s.spans[i].end] }

var _ abi.Plugin = (*Plugin)(nil)
