package portico

// Request is the HTTP request being handled. It holds no state: every method is a host call, so a Request is free
// to copy and valid only while a handler runs. Setters are allowed in RequestHandler only (before next); calling
// one from a ResponseHandler traps.
type Request struct{}

// Method is the request method, e.g. "GET" (get_method).
func (Request) Method() string { return probeString(getMethod) }

// SetMethod changes the method the backend receives (set_method). It must not be empty.
func (Request) SetMethod(method string) { setMethod(method) }

// URI is the request target — path and query, e.g. "/v1/items?id=7" (get_uri): the client's request URI, or the
// one a plugin set with SetURI.
func (Request) URI() string { return probeString(getURI) }

// SetURI replaces the path and query the backend receives, under the backend base URL (set_uri): with a backend
// URL http://b:9000/base, SetURI("/v2/items?x=1") sends http://b:9000/base/v2/items?x=1. A URI whose path is the
// client's own changes only the query (the method's backend path stays). The value is percent-encoded and sent as
// is; it must start with "/" and must not contain control characters, spaces, '#' or "." / ".." segments.
func (Request) SetURI(uri string) { setURI(uri) }

// ProtocolVersion is "HTTP/1.0", "HTTP/1.1" or "HTTP/2.0" (get_protocol_version).
func (Request) ProtocolVersion() string { return probeString(getProtocolVersion) }

// Headers are the request headers.
func (Request) Headers() Header { return Header{kind: headerRequest} }

// Trailers are the request trailers; they need FeatureTrailers.
func (Request) Trailers() Header { return Header{kind: headerRequestTrailers} }

// Body is the request body. Reading it without FeatureBufferRequest consumes it: enable the feature first unless
// the plugin replaces the body.
func (Request) Body() Body { return Body{kind: bodyRequest} }

// SourceAddr is the client's address, "ip:port" or "[ipv6]:port" (get_source_addr). In Portico the IP is the
// resolved client IP (PROXY protocol, trusted X-Forwarded-For), the same as ContextVar("request.clientIp"); the
// port is the TCP peer's, so do not rely on it.
func (Request) SourceAddr() string { return probeString(getSourceAddr) }

// ClientIP is the IP part of SourceAddr, without brackets or port.
func (r Request) ClientIP() string { return hostOf(r.SourceAddr()) }

// hostOf strips the port from "ip:port" or "[ipv6]:port"; a bare IP is returned as is.
func hostOf(addr string) string {
	if len(addr) > 0 && addr[0] == '[' {
		for i := 1; i < len(addr); i++ {
			if addr[i] == ']' {
				return addr[1:i]
			}
		}
		return addr[1:]
	}
	colon, colons := -1, 0
	for i := 0; i < len(addr); i++ {
		if addr[i] == ':' {
			colon = i
			colons++
		}
	}
	if colons == 1 {
		return addr[:colon]
	}
	return addr // a bare IPv4 or IPv6 address
}

// Response is the HTTP response: before next, the one the plugin is composing (status 200, no headers, empty
// body); in a ResponseHandler, the backend's (or the gateway's, when isError). Like Request it holds no state.
type Response struct{}

// StatusCode is the response status (get_status_code).
func (Response) StatusCode() uint32 { return getStatusCode() }

// SetStatusCode sets the response status, 100–999 (set_status_code). In a ResponseHandler it needs
// FeatureBufferResponse (enabled in the request phase or in Init), except in a response-phase binding. (Portico
// holds responses whole and does not insist; other http-wasm hosts trap.)
func (Response) SetStatusCode(code uint32) { setStatusCode(code) }

// Headers are the response headers; changing them in a ResponseHandler needs FeatureBufferResponse, as for
// SetStatusCode.
func (Response) Headers() Header { return Header{kind: headerResponse} }

// Trailers are the response trailers; they need FeatureTrailers.
func (Response) Trailers() Header { return Header{kind: headerResponseTrailers} }

// Body is the response body; in a ResponseHandler reading or writing it needs FeatureBufferResponse, as for
// SetStatusCode.
func (Response) Body() Body { return Body{kind: bodyResponse} }
