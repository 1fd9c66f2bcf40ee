package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Client calls the admin API. The zero HTTP uses a client with a 60 s timeout. Author, when set, is sent as
// X-Portico-Author so deploys record who made them.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
	Author  string
}

// NewClient returns a Client for the API at baseURL (like "http://127.0.0.1:9876") using token.
func NewClient(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token,
		HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// APIError is an error response of the admin API.
type APIError struct {
	Status    int
	Code      string
	Message   string
	Field     string
	RequestID string
}

func (e *APIError) Error() string {
	s := e.Code + ": " + e.Message
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	return s
}

// Do sends in (when not nil) as the JSON body of method path (like "/v1/services") and decodes the response into
// out (when not nil). An error response is an *APIError.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	_, err := c.do(ctx, method, path, "", in, out)
	return err
}

// RawBody is a request body sent as it is (a WASM module) instead of as JSON.
type RawBody struct {
	ContentType string
	Data        []byte
}

// matchVersion is the If-Match value for a version: "" (no check) for 0.
func matchVersion(v int64) string {
	if v <= 0 {
		return ""
	}
	return etag(v)
}

// do is Do with an optional If-Match value; it returns the response headers.
func (c *Client) do(ctx context.Context, method, path, ifMatch string, in, out any) (http.Header, error) {
	h, data, err := c.exchange(ctx, method, path, ifMatch, in, "application/json", maxJSONResponse)
	if err != nil {
		return h, err
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return h, fmt.Errorf("admin client: %s %s: decode response: %w", method, path, err)
		}
	}
	return h, nil
}

// Response size limits. A larger answer is an error rather than truncated data; raw answers (profiles, traces) get
// more room than JSON because a trace of a busy gateway runs to tens of megabytes.
const (
	maxJSONResponse = 64 << 20
	maxRawResponse  = 512 << 20
)

// exchange sends in (JSON, or a RawBody as it is) and returns the response headers and body, read up to limit
// bytes. An error response is an *APIError, decoded from the API's JSON error body when it has one.
func (c *Client) exchange(ctx context.Context, method, path, ifMatch string, in any, accept string, limit int64) (
	http.Header, []byte, error) {
	var body io.Reader
	contentType := "application/json"
	if raw, ok := in.(RawBody); ok {
		body, contentType = bytes.NewReader(raw.Data), raw.ContentType
	} else if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, nil, fmt.Errorf("admin client: encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return nil, nil, fmt.Errorf("admin client: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", accept)
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Author != "" {
		req.Header.Set(AuthorHeader, c.Author)
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("admin client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return resp.Header, nil, fmt.Errorf("admin client: %s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		return resp.Header, nil, responseError(resp, data)
	}
	if int64(len(data)) > limit {
		return resp.Header, nil, fmt.Errorf("admin client: %s %s: response is larger than %d bytes", method, path,
			limit)
	}
	return resp.Header, data, nil
}

// responseError builds the *APIError of an error response, JSON or not.
func responseError(resp *http.Response, data []byte) *APIError {
	e := &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	var body ErrorBody
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message, e.Field = body.Error.Code, body.Error.Message, body.Error.Field
		if body.Error.RequestID != "" {
			e.RequestID = body.Error.RequestID
		}
		return e
	}
	e.Code = "http_" + strconv.Itoa(resp.StatusCode)
	e.Message = strings.TrimSpace(string(data))
	if len(e.Message) > 200 {
		e.Message = e.Message[:200] + "…"
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}
