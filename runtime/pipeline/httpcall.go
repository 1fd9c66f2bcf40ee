package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/abi"
)

// Limits of plugins' outbound calls (http_call).
const (
	DefaultCallTimeout  = 5 * time.Second
	MaxCallTimeout      = 30 * time.Second
	MaxCallResponseBody = 1 << 20
)

// HTTPCaller makes plugins' http_call requests with a shared pooled client. Destinations are checked by the
// plugin host (a WASM plugin's allowHosts) before the call reaches it.
type HTTPCaller struct {
	client *fasthttp.Client
}

// NewHTTPCaller returns a caller with bounded response sizes.
func NewHTTPCaller() *HTTPCaller {
	return &HTTPCaller{client: &fasthttp.Client{
		MaxResponseBodySize:      MaxCallResponseBody,
		NoDefaultUserAgentHeader: true,
		MaxConnsPerHost:          256,
		ReadTimeout:              MaxCallTimeout,
		WriteTimeout:             MaxCallTimeout,
	}}
}

var errCallTimeout = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string { return "http_call: timed out" }
func (timeoutError) Timeout() bool { return true }

// Call sends req and fills resp. Timeouts are reported as errors whose Timeout() is true.
func (c *HTTPCaller) Call(req *abi.CallRequest, resp *abi.CallResponse) error {
	freq := fasthttp.AcquireRequest()
	fresp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(freq)
	defer fasthttp.ReleaseResponse(fresp)

	freq.SetRequestURIBytes(req.URL)
	if scheme := freq.URI().Scheme(); string(scheme) != "http" && string(scheme) != "https" {
		return fmt.Errorf("http_call: %w: the URL needs http:// or https://", abi.ErrInvalid)
	}
	method := req.Method
	if len(method) == 0 {
		method = []byte("GET")
	}
	freq.Header.SetMethodBytes(method)
	for lines := req.Headers; len(lines) > 0; {
		var line []byte
		line, lines, _ = bytes.Cut(lines, []byte("\n"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !abi.ValidToken(bytes.TrimSpace(name)) || !abi.ValidValue(value) {
			return fmt.Errorf("http_call: %w: header line %q", abi.ErrInvalid, line)
		}
		freq.Header.AddBytesKV(bytes.TrimSpace(name), bytes.TrimSpace(value))
	}
	freq.SetBody(req.Body)
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	if timeout > MaxCallTimeout {
		timeout = MaxCallTimeout
	}
	if err := c.client.DoTimeout(freq, fresp, timeout); err != nil {
		if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) {
			return errCallTimeout
		}
		return fmt.Errorf("http_call: %w", err)
	}
	resp.Status = uint32(fresp.StatusCode())
	for k, v := range fresp.Header.All() {
		resp.Headers = append(append(append(append(resp.Headers, k...), ": "...), v...), '\n')
	}
	resp.Body = append(resp.Body, fresp.Body()...)
	return nil
}
