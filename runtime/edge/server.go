// Package edge is the gateway's front door: listeners on fixed addresses (optionally behind PROXY protocol), the
// real client IP, the Host → stage dispatch, and the health endpoints a load balancer checks.
package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/pipeline"
)

// Defaults of the client-facing server (the seed's 10 MB request limit).
const (
	DefaultMaxRequestBodyBytes = 10 << 20
	DefaultReadTimeout         = 60 * time.Second
	DefaultWriteTimeout        = 60 * time.Second
	DefaultIdleTimeout         = 90 * time.Second
)

// ServerConfig configures the client-facing HTTP server.
type ServerConfig struct {
	// TrustedProxies are peers whose X-Forwarded-For is believed (nil: none).
	TrustedProxies      *TrustedProxies
	MaxRequestBodyBytes int
	ReadTimeout         time.Duration
	WriteTimeout        time.Duration
	IdleTimeout         time.Duration
	// Scheme the clients use ("http" unless TLS terminates here or at a trusted proxy that says otherwise).
	Scheme string
	Logger *slog.Logger
}

// Server serves the data plane from the live table of a pipeline.Gateway.
type Server struct {
	gw      *pipeline.Gateway
	cfg     ServerConfig
	fast    *fasthttp.Server
	log     *slog.Logger
	wg      sync.WaitGroup
	mu      sync.Mutex
	serving []net.Listener
}

// NewServer returns a Server for gw.
func NewServer(gw *pipeline.Gateway, cfg ServerConfig) *Server {
	if cfg.MaxRequestBodyBytes <= 0 {
		cfg.MaxRequestBodyBytes = DefaultMaxRequestBodyBytes
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Scheme == "" {
		cfg.Scheme = "http"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{gw: gw, cfg: cfg, log: cfg.Logger}
	s.fast = &fasthttp.Server{
		Handler:                      s.handle,
		ErrorHandler:                 s.handleReadError,
		Name:                         "",
		NoDefaultServerHeader:        true,
		MaxRequestBodySize:           cfg.MaxRequestBodyBytes,
		ReadTimeout:                  cfg.ReadTimeout,
		WriteTimeout:                 cfg.WriteTimeout,
		IdleTimeout:                  cfg.IdleTimeout,
		DisablePreParseMultipartForm: true,
		CloseOnShutdown:              true,
		ReadBufferSize:               16 << 10, // room for large headers (JWTs, cookies) without a 431
		LazyRequestTime:              true,     // nothing reads RequestCtx.Time: no clock read per request for it
		Logger:                       fastLogger{s.log},
	}
	return s
}

// Serve serves every listener until Shutdown; it returns the first serving error other than a closed listener.
func (s *Server) Serve(listeners []net.Listener) error {
	s.mu.Lock()
	s.serving = append(s.serving, listeners...)
	s.mu.Unlock()
	errs := make(chan error, len(listeners))
	for _, ln := range listeners {
		s.wg.Add(1)
		go func(ln net.Listener) {
			defer s.wg.Done()
			errs <- s.fast.Serve(ln)
		}(ln)
	}
	var first error
	for range listeners {
		if err := <-errs; err != nil && !errors.Is(err, net.ErrClosed) && first == nil {
			first = err
		}
	}
	return first
}

// Shutdown stops accepting, lets in-flight requests finish (until ctx ends), and closes idle connections.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.fast.ShutdownWithContext(ctx)
}

var (
	pathHealthz = []byte("/healthz")
	pathReadyz  = []byte("/readyz")
	headerReqID = []byte(pipeline.HeaderRequestID)
)

func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	r := pipeline.AcquireRequest(ctx)
	defer pipeline.ReleaseRequest(r)

	if id := ctx.Request.Header.PeekBytes(headerReqID); pipeline.ValidRequestID(id) {
		r.SetRequestID(id)
	} else {
		r.NewRequestID()
	}
	r.Scheme = s.cfg.Scheme
	r.Peer = PeerAddr(ctx.RemoteAddr())
	// Every X-Forwarded-For line counts: with only the first, a client could send its own line ahead of the one a
	// trusted proxy adds.
	r.ClientIP = s.cfg.TrustedProxies.ClientIPFromValues(r.Peer, ctx.Request.Header.PeekAll(fasthttp.HeaderXForwardedFor))

	var hostBuf [256]byte
	host := normalizeHost(hostBuf[:0], ctx.Request.Header.Host())
	table := s.gw.Load()
	var (
		entry pipeline.HostEntry
		found bool
	)
	if table != nil {
		entry, found = table.Lookup(host)
	}
	if !found {
		s.serveNoStage(ctx, r, table)
	} else {
		entry.Stage.Serve(r, entry.BasePath)
	}
	ctx.Response.Header.SetBytesKV(headerReqID, r.RequestID())
}

// serveNoStage answers requests whose Host is not a stage host: a load balancer's health checks (which use the
// node's IP as Host), else 404.
func (s *Server) serveNoStage(ctx *fasthttp.RequestCtx, r *pipeline.Request, table *pipeline.Table) {
	path := ctx.Path()
	switch {
	case string(path) == string(pathHealthz):
		ctx.Response.Header.SetContentType("application/json")
		ctx.SetBodyString(`{"status":"ok"}` + "\n")
	case string(path) == string(pathReadyz):
		ctx.Response.Header.SetContentType("application/json")
		if table == nil {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
			ctx.SetBodyString(`{"status":"not_ready","reason":"no deployment snapshot loaded yet"}` + "\n")
			return
		}
		ctx.SetBodyString(`{"status":"ready","stages":` + strconv.Itoa(len(table.Stages())) + "}\n")
	default:
		pipeline.WriteError(ctx, fasthttp.StatusNotFound, pipeline.CodeUnknownHost,
			"no stage is served at this host", r.RequestID())
	}
}

func (s *Server) handleReadError(ctx *fasthttp.RequestCtx, err error) {
	var id [32]byte
	r := pipeline.AcquireRequest(ctx)
	defer pipeline.ReleaseRequest(r)
	r.NewRequestID()
	rid := append(id[:0], r.RequestID()...)
	if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		pipeline.WriteError(ctx, fasthttp.StatusRequestEntityTooLarge, pipeline.CodeBodyTooLarge,
			"the request body is larger than the gateway allows", rid)
		return
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		pipeline.WriteError(ctx, fasthttp.StatusRequestTimeout, pipeline.CodeBadRequest,
			"the request was not received in time", rid)
		return
	}
	pipeline.WriteError(ctx, fasthttp.StatusBadRequest, pipeline.CodeBadRequest, "malformed HTTP request", rid)
}

// fastLogger sends fasthttp's connection-level messages (client errors such as oversized bodies, already answered
// by handleReadError) to the structured log at debug level.
type fastLogger struct{ log *slog.Logger }

func (l fastLogger) Printf(format string, args ...any) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug("gateway connection", "detail", fmt.Sprintf(format, args...))
	}
}

// normalizeHost lower-cases host and strips a port (and the brackets of an IPv6 literal), appending to dst.
func normalizeHost(dst, host []byte) []byte {
	if len(host) > 0 && host[0] == '[' {
		if i := indexByte(host, ']'); i > 0 {
			host = host[1:i]
		}
	} else if i := lastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	if len(host) > 0 && host[len(host)-1] == '.' {
		host = host[:len(host)-1] // a fully qualified name with its root dot
	}
	for _, c := range host {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}
