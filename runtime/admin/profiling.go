package admin

import (
	"bytes"
	"fmt"
	"net/http"
	// Importing net/http/pprof also registers its handlers on http.DefaultServeMux. Nothing in Portico serves
	// DefaultServeMux (the admin listener serves Server.Handler, the gateway is fasthttp), so those registrations are
	// unreachable; the profiles are reachable only through the authenticated route below.
	httppprof "net/http/pprof"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
)

// Sampling windows of GET /v1/debug/pprof/{profile}, in seconds. The upper bound keeps a profile well inside the
// admin listener's one-minute WriteTimeout (runtime/node) and the client's 60 s timeout, so a slow transfer after
// sampling still completes; an operator wanting longer takes several profiles.
const (
	minProfileSeconds   = 1
	maxProfileSeconds   = 30
	defaultCPUSeconds   = 10 // net/http/pprof's own default is 30 s
	defaultTraceSeconds = 1
)

// The CPU profiler and the execution tracer are process-wide and run one at a time. These flags give a second
// admin request a clear 409 instead of net/http/pprof's plain-text 500. They are package variables, not Server
// fields, because the resource they guard is the process's, not one server's.
var cpuProfiling, tracing atomic.Bool

// pprofProfile serves a runtime profile through net/http/pprof: "profile" (CPU), "trace", or a named profile
// (heap, allocs, goroutine, block, mutex, threadcreate). Its query (seconds, debug, gc) passes through once checked.
func (s *Server) pprofProfile(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("profile")
	var (
		serve          http.HandlerFunc
		busy           *atomic.Bool // set while the process-wide profiler this request needs is in use
		what           string       // the profiler, for the busy message
		defaultSeconds int
	)
	switch name {
	case "profile":
		serve, busy, what, defaultSeconds = httppprof.Profile, &cpuProfiling, "CPU profile", defaultCPUSeconds
	case "trace":
		serve, busy, what, defaultSeconds = httppprof.Trace, &tracing, "trace", defaultTraceSeconds
	default:
		// Checked here rather than left to pprof.Handler so the answer is the API's JSON 404.
		if pprof.Lookup(name) == nil {
			return &apiError{Status: http.StatusNotFound, Code: codeNotFound,
				Message: "no profile " + strconv.Quote(name) + ": use profile (CPU), trace, heap, allocs, goroutine, " +
					"block, mutex or threadcreate"}
		}
		serve = httppprof.Handler(name).ServeHTTP
	}

	q := r.URL.Query()
	if q.Has("seconds") {
		sec, err := strconv.Atoi(q.Get("seconds"))
		if err != nil || sec < minProfileSeconds || sec > maxProfileSeconds {
			return badRequest(codeInvalidArgument, "seconds", fmt.Sprintf("seconds must be a whole number from "+
				"%d to %d, got %q", minProfileSeconds, maxProfileSeconds, q.Get("seconds")))
		}
	} else if defaultSeconds > 0 {
		// pprof reads the window from the query; spell out our default so its own (30 s for CPU) never applies.
		q.Set("seconds", strconv.Itoa(defaultSeconds))
		r = r.Clone(r.Context())
		r.URL.RawQuery = q.Encode()
	}

	if busy != nil {
		if !busy.CompareAndSwap(false, true) {
			return &apiError{Status: http.StatusConflict, Code: codeProfilerBusy,
				Message: "a " + what + " is already being taken; retry when it is done"}
		}
		defer busy.Store(false)
	}

	pw := &pprofWriter{ResponseWriter: w}
	serve(pw, r)
	if pw.errStatus == 0 {
		return nil
	}
	// pprof answered an error in plain text before writing any profile: answer it in the API's shape instead.
	h := w.Header()
	h.Del("X-Go-Pprof")
	h.Del("Content-Disposition")
	msg := "pprof " + name + ": " + strings.TrimSpace(pw.errBody.String())
	switch pw.errStatus {
	case http.StatusBadRequest:
		return badRequest(codeInvalidArgument, "", msg)
	case http.StatusNotFound:
		return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: msg}
	}
	return fmt.Errorf("%s (status %d)", msg, pw.errStatus) // logged; answered as internal
}

// pprofWriter passes a profile through to the client but holds back an error status and its plain-text message,
// which net/http/pprof writes only before any profile bytes, so the handler can answer the error as JSON.
type pprofWriter struct {
	http.ResponseWriter
	errStatus int
	errBody   bytes.Buffer
	started   bool
}

func (w *pprofWriter) WriteHeader(code int) {
	if code >= 400 && !w.started {
		w.errStatus = code
		return
	}
	w.started = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *pprofWriter) Write(b []byte) (int, error) {
	if w.errStatus != 0 {
		return w.errBody.Write(b)
	}
	w.started = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets pprof's http.ResponseController extend the write deadline on the real connection.
func (w *pprofWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
